package dev.kiln.vmm;

import java.util.Optional;

/** A pair of buckets as in Firecracker: bandwidth (bytes) and ops (requests or packets). */
public record RateLimiter(Optional<TokenBucket> bandwidth, Optional<TokenBucket> ops) {
    public RateLimiter {
        bandwidth = bandwidth.filter(TokenBucket::enabled);
        ops = ops.filter(TokenBucket::enabled);
    }

    public static RateLimiter none() {
        return new RateLimiter(Optional.empty(), Optional.empty());
    }

    public static RateLimiter bandwidth(TokenBucket bucket) {
        return new RateLimiter(Optional.of(bucket), Optional.empty());
    }

    public boolean isEmpty() {
        return bandwidth.isEmpty() && ops.isEmpty();
    }
}
