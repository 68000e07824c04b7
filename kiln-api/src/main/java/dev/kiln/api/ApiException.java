package dev.kiln.api;

/** A value that breaks its type's rules (a negative bucket size, ...): what is wrong, and what to do. */
public final class ApiException extends RuntimeException {
    private final String hint;

    public ApiException(String message, String hint) {
        super(message);
        this.hint = hint;
    }

    public String hint() {
        return hint;
    }
}
