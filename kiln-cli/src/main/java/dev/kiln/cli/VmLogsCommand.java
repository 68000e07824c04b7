package dev.kiln.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln vm logs}: streams {@code GET /v1/vms/{name}/logs}. */
@Command(name = "logs", sortOptions = false, usageHelpAutoWidth = true,
        header = "Print a VM's console output.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Copies the VM's serial console (kernel messages, the guest's init, the ready line) to stdout "
                + "as the daemon sends it. With -f it keeps following new output until the VM ends or you press "
                + "Ctrl-C.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm logs web1", "  kiln vm logs --tail 20 web1", "  kiln vm logs -f web1"})
final class VmLogsCommand extends KilnSubcommand {
    private static final String OUTPUT_CLOSED = "OUTPUT_CLOSED";

    @Parameters(paramLabel = "NAME", description = "The VM's name or id.")
    String name;

    @Option(names = {"-f", "--follow"}, description = {"Keep printing new output as it arrives.",
        "Default: print what there is and exit."})
    boolean follow;

    @Option(names = "--tail", paramLabel = "N", defaultValue = "0",
            description = {"Start with the last N lines only; 0 means all of it.", "Default: ${DEFAULT-VALUE}."})
    int tail;

    @Override
    public Integer call() {
        if (tail < 0) {
            throw new CliException("BAD_REQUEST", "--tail must be 0 or more, not " + tail,
                    "use --tail 0 for all the output", ExitCodes.USAGE);
        }
        try {
            client().streamLogs(name, follow, tail, chunk -> {
                print(chunk);
                if (out().checkError()) {
                    throw new CliException(OUTPUT_CLOSED, "stdout was closed", "", ExitCodes.OK);
                }
            });
        } catch (CliException e) {
            if (!e.code().equals(OUTPUT_CLOSED)) throw e;
            // whoever read our output (e.g. 'head') has had enough: stop quietly
        }
        return ExitCodes.OK;
    }
}
