package dev.kiln.host.fn;

import java.util.Optional;

/**
 * An error as Lambda's API reports it: an HTTP status, Lambda's error type (the {@code X-Amzn-ErrorType} header,
 * which the AWS SDKs turn into their exception classes), a message, and for throttling the reason.
 */
public final class LambdaException extends RuntimeException {
    private final int status;
    private final String type;
    private final Optional<String> reason;

    public LambdaException(int status, String type, String message) {
        this(status, type, message, Optional.empty());
    }

    public LambdaException(int status, String type, String message, Optional<String> reason) {
        super(message);
        this.status = status;
        this.type = type;
        this.reason = reason;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public Optional<String> reason() {
        return reason;
    }
}
