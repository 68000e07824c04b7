package dev.kiln.agent.function;

/** A slot refused a call: it is busy, it failed, or the runtime named an invocation it does not run. */
public final class SlotException extends RuntimeException {
    /** Why. */
    public enum Reason { BUSY, FAILED, UNKNOWN_REQUEST }

    private final Reason reason;

    SlotException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
