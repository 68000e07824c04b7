package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln vm exec}: {@code POST /v1/vms/{name}/exec}. */
@Command(name = "exec", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run a command in a VM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Runs a command in the guest with 'sh -c' through its control endpoint, prints its combined stdout and "
                    + "stderr when it has finished, and exits with the command's exit code.",
            "",
            "Put the command after '--'. One word is taken as a shell command line (pipes and redirections work); "
                    + "several words are quoted so that each reaches the command as one argument."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm exec web1 -- uname -a", "  kiln vm exec web1 -- 'dmesg | tail -5'",
            "  kiln vm exec --timeout 5m web1 -- sh /mnt/vdb/job.sh"})
final class VmExecCommand extends KilnSubcommand {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM's name or id.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
            converter = Converters.DurationConverter.class,
            description = {"How long the command may run before the daemon gives up on it (exit code 8).",
                "Default: ${DEFAULT-VALUE}."})
    Duration timeout;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ExecResult result = client().exec(name, shellLine(command), timeout);
        if (json.json) {
            ObjectNode body = root().json().createObjectNode();
            body.put("exitCode", result.exitCode()).put("output", result.output());
            printJson(body);
        } else {
            print(result.output());
        }
        return result.exitCode();
    }

    /** One word as is (a shell line); several words each quoted for sh. */
    static String shellLine(List<String> words) {
        if (words.size() == 1) return words.getFirst();
        return words.stream().map(VmExecCommand::quote).collect(Collectors.joining(" "));
    }

    static String quote(String word) {
        return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
