package dev.kiln.api;

import java.util.Objects;
import java.util.Optional;

/**
 * The limits of one direction of a NIC, as in Firecracker's {@code RateLimiter}: an optional bandwidth bucket
 * (tokens are bytes) and an optional ops bucket (tokens are packets).
 */
public record RateLimiter(Optional<TokenBucket> bandwidth, Optional<TokenBucket> ops) {
    public RateLimiter {
        Objects.requireNonNull(bandwidth, "bandwidth");
        Objects.requireNonNull(ops, "ops");
    }

    public static RateLimiter none() {
        return new RateLimiter(Optional.empty(), Optional.empty());
    }

    /** Only a bandwidth limit: {@code bytes} per {@code refillTime}. */
    public static RateLimiter bandwidth(TokenBucket bucket) {
        return new RateLimiter(Optional.of(bucket), Optional.empty());
    }

    /** The bandwidth bucket if it is present and enabled. */
    public Optional<TokenBucket> activeBandwidth() {
        return bandwidth.filter(TokenBucket::isEnabled);
    }

    /** The ops bucket if it is present and enabled. */
    public Optional<TokenBucket> activeOps() {
        return ops.filter(TokenBucket::isEnabled);
    }

    /** True when this limiter limits nothing. */
    public boolean isUnlimited() {
        return activeBandwidth().isEmpty() && activeOps().isEmpty();
    }
}
