package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln exec}: {@code POST /v1/containers/{name}/exec}. */
@Command(name = "exec", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run a command in a running container.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Runs the command (put it after '--') in the container with its environment and user, prints "
                + "its stdout and stderr when it has finished, and exits with its exit code.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln exec web -- ls /", "  kiln exec web -- sh -c 'echo $HOSTNAME'"})
final class ExecCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The container's name.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = Converters.DurationConverter.class,
            description = "Kill the command after this long. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ObjectNode req = root().json().createObjectNode();
        command.forEach(req.putArray("args")::add);
        req.put("timeout", timeout.toString());
        JsonNode r = client().execContainer(name, req, timeout);
        if (json.json) {
            printJson(r);
        } else {
            print(r.path("stdout").asText());
            err().print(r.path("stderr").asText());
            err().flush();
            if (r.path("timedOut").asBoolean(false)) {
                err().println("kiln: the command was killed after " + Durations.human(timeout));
                err().flush();
            }
        }
        return r.path("exitCode").asInt(1);
    }
}
