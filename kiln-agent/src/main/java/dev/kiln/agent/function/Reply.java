package dev.kiln.agent.function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How an invocation ended: the handler's result, or an error document ({@code errorMessage}, {@code errorType}) that
 * Lambda would return with {@code X-Amz-Function-Error: Unhandled}.
 *
 * @param errorType empty for a result; else the error's type, e.g. {@code ZeroDivisionError},
 *                  {@code Runtime.ExitError}, {@code Sandbox.Timedout}
 */
public record Reply(boolean functionError, String errorType, byte[] body) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Reply {
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    static Reply ok(byte[] body) {
        return new Reply(false, "", body);
    }

    /** The runtime's own error document, as it sent it. */
    static Reply functionError(String errorType, byte[] body) {
        return new Reply(true, errorType, body);
    }

    /** An error kiln reports on the runtime's behalf (it timed out, exited, never answered). */
    public static Reply error(String errorType, String message) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("errorType", errorType);
        doc.put("errorMessage", message);
        try {
            return new Reply(true, errorType, JSON.writeValueAsBytes(doc));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
