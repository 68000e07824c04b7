package dev.kiln.cluster;

import java.util.Objects;
import java.util.Optional;

/**
 * The cluster module's exception family: a {@link ClusterError} code, a message saying what is wrong, and an optional
 * hint saying what to do about it.
 */
public class ClusterException extends RuntimeException {
    private final ClusterError code;
    private final String hint;

    public ClusterException(ClusterError code, String message) {
        this(code, message, "", null);
    }

    public ClusterException(ClusterError code, String message, String hint) {
        this(code, message, hint, null);
    }

    public ClusterException(ClusterError code, String message, Throwable cause) {
        this(code, message, "", cause);
    }

    public ClusterException(ClusterError code, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = hint == null ? "" : hint;
    }

    public ClusterError code() {
        return code;
    }

    /** What the user can do about it, when kiln knows. */
    public Optional<String> hint() {
        return hint.isEmpty() ? Optional.empty() : Optional.of(hint);
    }
}
