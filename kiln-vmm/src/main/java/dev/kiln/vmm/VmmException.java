package dev.kiln.vmm;

/** The VMM layer's one exception family: a code, a message saying what is wrong, a hint saying what to do. */
public class VmmException extends RuntimeException {
    private final VmmError code;
    private final String hint;

    public VmmException(VmmError code, String message, String hint) {
        super(message);
        this.code = code;
        this.hint = hint;
    }

    public VmmException(VmmError code, String message, String hint, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.hint = hint;
    }

    public VmmError code() {
        return code;
    }

    public String hint() {
        return hint;
    }
}
