package dev.kiln.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln logs}: {@code GET /v1/containers/{name}/logs}. */
@Command(name = "logs", sortOptions = false, usageHelpAutoWidth = true,
        header = "Print a container's output.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints what the container wrote to stdout and stderr. With -f, keeps printing until it exits.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln logs web", "  kiln logs -f --stream stderr web"})
final class LogsCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The container's name.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the container exits. Default: print what is there and return.")
    boolean follow;

    @Option(names = "--stream", paramLabel = "WHICH", defaultValue = "both",
            description = "stdout, stderr or both. Default: ${DEFAULT-VALUE}.")
    String stream;

    @Override
    public Integer call() {
        client().streamContainerLogs(name, follow, stream, this::print);
        return ExitCodes.OK;
    }
}
