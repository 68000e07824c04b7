package dev.kiln.image;

import java.util.Objects;

/** The one exception type of kiln-image: an error code, a message and a hint telling the user what to do. */
public final class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ImageError code;
    private final String hint;

    public ImageException(ImageError code, String message) {
        this(code, message, code.defaultHint(), null);
    }

    public ImageException(ImageError code, String message, String hint) {
        this(code, message, hint, null);
    }

    public ImageException(ImageError code, String message, Throwable cause) {
        this(code, message, code.defaultHint(), cause);
    }

    public ImageException(ImageError code, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = Objects.requireNonNull(hint, "hint");
    }

    public ImageError code() {
        return code;
    }

    /** What the user should do, e.g. {@code kiln image ls}. */
    public String hint() {
        return hint;
    }

    @Override
    public String toString() {
        return "ImageException[" + code + "]: " + getMessage() + " (hint: " + hint + ")";
    }
}
