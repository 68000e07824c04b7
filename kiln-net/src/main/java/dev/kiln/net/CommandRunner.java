package dev.kiln.net;

import java.util.List;

/**
 * Runs one host command from an argument list (never through a shell). The seam through which kiln-net touches
 * the host; tests can wrap it to inject faults.
 */
interface CommandRunner {
    /**
     * Runs {@code argv} with {@code stdin} (empty for none) and returns its outcome whatever the exit code.
     * Throws {@link NetError#TOOL_MISSING} when the program cannot be started and {@link NetError#COMMAND_TIMEOUT}
     * when it does not finish in time.
     */
    CommandResult run(List<String> argv, String stdin);

    /** The outcome of a command that ran. */
    record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
        public CommandResult {
            argv = List.copyOf(argv);
        }

        boolean ok() {
            return exitCode == 0;
        }
    }
}
