package dev.kiln.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln rm}: {@code DELETE /v1/containers/{name}}. */
@Command(name = "rm", sortOptions = false, usageHelpAutoWidth = true,
        header = "Remove containers.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Removes each container, its files in the guest and its port forwards; a container that got a "
                + "fresh VM from 'kiln run' takes its VM with it. A running container needs -f.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln rm web", "  kiln rm -f web worker"})
final class RmCommand extends KilnSubcommand {
    @Parameters(arity = "1..*", paramLabel = "NAME", description = "Container names.")
    List<String> names;

    @Option(names = {"-f", "--force"}, description = "Stop running containers first. Default: refuse to remove a running one.")
    boolean force;

    @Override
    public Integer call() {
        for (String n : names) {
            client().removeContainer(n, force);
            out().println("removed " + n);
            out().flush();
        }
        return ExitCodes.OK;
    }
}
