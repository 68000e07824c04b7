package dev.kiln.cli;

import java.util.Objects;
import java.util.Optional;

/**
 * The CLI's one exception family: an error code (the daemon's, e.g. {@code VM_NOT_FOUND}, or the CLI's own, e.g.
 * {@code DAEMON_UNREACHABLE}), a message saying what is wrong, a hint saying what to do, and the exit code the
 * process ends with. {@link ExitCodes} decides the exit code of every daemon error code.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String hint;
    private final int exitCode;

    /** @param hint what the user should do; empty when there is nothing useful to say */
    public CliException(String code, String message, String hint, int exitCode) {
        this(code, message, hint, exitCode, null);
    }

    public CliException(String code, String message, String hint, int exitCode, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = Objects.requireNonNull(hint, "hint");
        this.exitCode = exitCode;
    }

    /** An error as the daemon reported it, with the exit code {@link ExitCodes#forError} gives it. */
    public static CliException fromDaemon(int httpStatus, String code, String message, String hint) {
        return new CliException(code, message, hint, ExitCodes.forError(code, httpStatus));
    }

    public String code() {
        return code;
    }

    public Optional<String> hint() {
        return hint.isBlank() ? Optional.empty() : Optional.of(hint);
    }

    public int exitCode() {
        return exitCode;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + code + ", exit " + exitCode + "]: " + getMessage()
                + (hint.isBlank() ? "" : " (hint: " + hint + ")");
    }
}
