package dev.kiln.api.agent;

import java.util.Optional;

/**
 * The body of {@code GET /v1/health} (it needs no token): {@code {"status":"ok","startedAt":1700000000000}}.
 * {@code startedAt} is when the agent's process started (milliseconds since the epoch, the guest's clock): a new
 * value for the same VM means the agent restarted. Agents before it sent only the status.
 *
 * <p>{@code status} is {@value #OK}, or {@value #DEGRADED} with a {@code message} when the agent answers but no
 * longer looks after its containers (a restart long overdue, a stuck restart scheduler): the host then counts the
 * answer as a missed heartbeat.
 */
public record Health(String status, Optional<Long> startedAt, Optional<String> message) {
    public static final String OK = "ok";
    public static final String DEGRADED = "degraded";

    public Health {
        status = Wire.text(status, "status");
        startedAt = Wire.opt(startedAt);
        message = Wire.opt(message);
    }

    public Health(String status, Optional<Long> startedAt) {
        this(status, startedAt, Optional.empty());
    }

    public static Health ok() {
        return new Health(OK, Optional.empty());
    }

    public static Health ok(long startedAtMillis) {
        return new Health(OK, Optional.of(startedAtMillis));
    }

    /** An agent that answers but whose container supervision is stuck, and why. */
    public static Health degraded(long startedAtMillis, String why) {
        return new Health(DEGRADED, Optional.of(startedAtMillis), Optional.of(why));
    }

    /**
     * True unless the agent said it is degraded (an unknown status from a newer agent counts as ok). Not named like
     * a getter, so that it is not written as a field.
     */
    public boolean saysOk() {
        return !status.equals(DEGRADED);
    }
}
