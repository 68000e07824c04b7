package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.Optional;

/**
 * One observed aspect of a resource ({@code type: Ready}) with {@code status} {@code "True"}, {@code "False"} or
 * {@code "Unknown"}, why, and since when.
 */
public record Condition(String type, String status, Optional<String> reason, Optional<String> message,
                        Instant lastTransitionTime) {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    public Condition {
        type = Defaults.string(type);
        status = Defaults.orIfEmpty(status, UNKNOWN);
        reason = Defaults.optional(reason);
        message = Defaults.optional(message);
        lastTransitionTime = Defaults.instant(lastTransitionTime);
    }
}
