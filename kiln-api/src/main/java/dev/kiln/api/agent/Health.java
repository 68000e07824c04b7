package dev.kiln.api.agent;

import java.util.Optional;

/**
 * The body of {@code GET /v1/health} (it needs no token): {@code {"status":"ok","startedAt":1700000000000}}.
 * {@code startedAt} is when the agent's process started (milliseconds since the epoch, the guest's clock): a new
 * value for the same VM means the agent restarted. Agents before it sent only the status.
 */
public record Health(String status, Optional<Long> startedAt) {
    public Health {
        status = Wire.text(status, "status");
        startedAt = Wire.opt(startedAt);
    }

    public static Health ok() {
        return new Health("ok", Optional.empty());
    }

    public static Health ok(long startedAtMillis) {
        return new Health("ok", Optional.of(startedAtMillis));
    }
}
