package dev.kiln.host.fn;

/** An invocation past the function's concurrency (and past the queue): Lambda's 429 TooManyRequestsException. */
public final class ThrottledException extends RuntimeException {
    public ThrottledException(String message) {
        super(message);
    }
}
