package dev.kiln.host;

import java.util.Optional;

/**
 * What a slot answered to one invocation: the result or the error document, the error's type if it is one
 * ({@code Unhandled}, {@code Sandbox.Timedout}, ...), init time if the slot was cold, and the handler's time.
 */
public record FunctionReply(String requestId, Optional<String> functionError, byte[] body, Optional<Double> initMs,
                            double durationMs) {
    public FunctionReply {
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }
}
