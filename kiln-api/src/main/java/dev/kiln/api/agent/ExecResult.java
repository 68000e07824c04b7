package dev.kiln.api.agent;

import java.time.Duration;

/**
 * What an exec produced. Output beyond the agent's cap is dropped and flagged as truncated; {@code timedOut}
 * means the agent killed the command at its timeout.
 */
public record ExecResult(int exitCode, String stdout, String stderr, boolean stdoutTruncated,
                         boolean stderrTruncated, boolean timedOut, Duration duration) {
    public ExecResult {
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
        duration = duration == null ? Duration.ZERO : duration;
    }
}
