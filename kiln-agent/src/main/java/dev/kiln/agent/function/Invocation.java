package dev.kiln.agent.function;

import java.time.Instant;
import java.util.Optional;

/**
 * One invocation as the Runtime API hands it to a runtime: the request id, the event (JSON bytes), the function's
 * ARN, a trace id, the client context if the caller sent one, and the deadline, which is set when the runtime picks
 * the invocation up.
 */
public record Invocation(String requestId, byte[] payload, String functionArn, String traceId,
                         Optional<String> clientContext, Optional<Instant> deadline) {
    public Invocation {
        payload = payload.clone();
    }

    public static Invocation of(String requestId, byte[] payload, String functionArn, String traceId) {
        return new Invocation(requestId, payload, functionArn, traceId, Optional.empty(), Optional.empty());
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    Invocation withDeadline(Instant at) {
        return new Invocation(requestId, payload, functionArn, traceId, clientContext, Optional.of(at));
    }
}
