package dev.kiln.api.agent;

/** The body of every error reply of the guest agent: a code, what went wrong, and what to do about it. */
public record AgentError(AgentErrorCode code, String message, String hint) {
    public AgentError {
        Wire.required(code, "code");
        message = Wire.text(message, "message");
        hint = hint == null ? "" : hint;
    }
}
