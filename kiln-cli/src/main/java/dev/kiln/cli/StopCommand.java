package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln stop}: {@code POST /v1/containers/{name}/stop}. */
@Command(name = "stop", sortOptions = false, usageHelpAutoWidth = true,
        header = "Stop a container.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Sends SIGTERM to the container's processes, then SIGKILL after the timeout. Its VM keeps running "
                + "until 'kiln rm'.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln stop web", "  kiln stop --timeout 2s web"})
final class StopCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The container's name.")
    String name;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = Converters.DurationConverter.class,
            description = "Wait this long after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode c = client().stopContainer(name, timeout);
        if (json.json) printJson(c);
        else out().println(name + " " + PsCommand.state(c));
        out().flush();
        return ExitCodes.OK;
    }
}
