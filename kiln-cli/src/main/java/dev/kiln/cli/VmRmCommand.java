package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln vm rm}: {@code DELETE /v1/vms/{name}} for each name. */
@Command(name = "rm", aliases = "remove", sortOptions = false, usageHelpAutoWidth = true,
        header = "Remove VMs.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Removes each VM and everything the daemon made for it: its tap device, its IP address lease "
                + "and its files. A VM that still runs is refused (exit code 4) unless -f is given, which kills it "
                + "first. Every name is tried; the exit code is that of the first failure.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm rm web1", "  kiln vm rm -f web1 web2", "  kiln vm rm -f $(kiln vm ls -a --json | jq -r '.vms[].name')"})
final class VmRmCommand extends KilnSubcommand {
    @Parameters(paramLabel = "NAME", arity = "1..*", description = "The names or ids of the VMs to remove.")
    List<String> names;

    @Option(names = {"-f", "--force"}, description = {"Kill VMs that still run, then remove them.",
        "Default: refuse to remove a running VM."})
    boolean force;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ObjectNode body = root().json().createObjectNode();
        ArrayNode removed = body.putArray("removed");
        ArrayNode failed = body.putArray("failed");
        int exitCode = ExitCodes.OK;
        ErrorReporter errors = new ErrorReporter(root().json(), false);
        for (String name : names) {
            try {
                client().remove(name, force);
                removed.add(name);
                if (!json.json) print("removed " + name + "\n");
            } catch (CliException e) {
                if (e instanceof DaemonUnreachableException) throw e;
                if (exitCode == ExitCodes.OK) exitCode = e.exitCode();
                ObjectNode f = failed.addObject().put("name", name);
                ObjectNode error = f.putObject("error").put("code", e.code()).put("message", e.getMessage());
                e.hint().ifPresent(h -> error.put("hint", h));
                if (!json.json) errors.report(e, false, out(), err());
            }
        }
        if (json.json) printJson(body);
        return exitCode;
    }
}
