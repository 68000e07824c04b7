package dev.kiln.cli;

/** What a command run in a guest with {@code kiln vm exec} gave: its exit code and combined output. */
public record ExecResult(int exitCode, String output) {
}
