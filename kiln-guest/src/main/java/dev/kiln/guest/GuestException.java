package dev.kiln.guest;

import java.util.Objects;

/** The one exception type of kiln-guest: an error code, a message and a hint telling the user what to do. */
public final class GuestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final GuestError code;
    private final String hint;

    public GuestException(GuestError code, String message) {
        this(code, message, code.defaultHint(), null);
    }

    public GuestException(GuestError code, String message, String hint) {
        this(code, message, hint, null);
    }

    public GuestException(GuestError code, String message, Throwable cause) {
        this(code, message, code.defaultHint(), cause);
    }

    public GuestException(GuestError code, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = Objects.requireNonNull(hint, "hint");
    }

    public GuestError code() {
        return code;
    }

    /** What the user should do, e.g. {@code apt-get install linux-image-amd64}. */
    public String hint() {
        return hint;
    }

    @Override
    public String toString() {
        return "GuestException[" + code + "]: " + getMessage() + " (hint: " + hint + ")";
    }
}
