package dev.kiln.net;

import dev.kiln.api.RateLimiter;
import java.util.Objects;

/**
 * Limits for a vm's NIC, named from the guest's point of view as in Firecracker.
 *
 * @param rx what the guest receives (host to guest): shaped on the tap's egress
 * @param tx what the guest sends (guest to host): shaped on the tap's ingress, through an ifb device
 */
public record NicLimits(RateLimiter rx, RateLimiter tx) {
    public NicLimits {
        Objects.requireNonNull(rx, "rx");
        Objects.requireNonNull(tx, "tx");
    }

    public static NicLimits none() {
        return new NicLimits(RateLimiter.none(), RateLimiter.none());
    }
}
