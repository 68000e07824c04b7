package dev.kiln.net;

import java.util.List;
import java.util.Objects;

/**
 * The one unchecked exception of kiln-net. Always has a {@link NetError} code and a hint that tells
 * an operator what to do; failures of host commands also carry the command line and its stderr.
 */
public final class NetException extends RuntimeException {
    private final NetError code;
    private final String hint;
    private final List<String> command;
    private final String stderr;

    NetException(NetError code, String message, String hint) {
        this(code, message, hint, List.of(), "", null);
    }

    NetException(NetError code, String message, String hint, Throwable cause) {
        this(code, message, hint, List.of(), "", cause);
    }

    NetException(NetError code, String message, String hint, List<String> command, String stderr) {
        this(code, message, hint, command, stderr, null);
    }

    private NetException(NetError code, String message, String hint, List<String> command, String stderr,
                         Throwable cause) {
        super(format(code, message, hint, command, stderr), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = Objects.requireNonNull(hint, "hint");
        this.command = List.copyOf(command);
        this.stderr = Objects.requireNonNull(stderr, "stderr");
    }

    public NetError code() {
        return code;
    }

    /** What an operator can do about it; never empty. */
    public String hint() {
        return hint;
    }

    /** The failed command's argument list; empty when the failure is not about a command. */
    public List<String> command() {
        return command;
    }

    /** The failed command's stderr (trimmed); empty when there is none. */
    public String stderr() {
        return stderr;
    }

    private static String format(NetError code, String message, String hint, List<String> command, String stderr) {
        var text = new StringBuilder().append('[').append(code).append("] ").append(message);
        if (!command.isEmpty()) {
            text.append("; command: ").append(String.join(" ", command));
        }
        if (!stderr.isBlank()) {
            text.append("; stderr: ").append(stderr.strip());
        }
        return text.append("; hint: ").append(hint).toString();
    }
}
