package dev.kiln.vmm;

import java.time.Duration;

/**
 * Firecracker's token bucket: {@code size} tokens that refill completely every {@code refillTime}, plus a
 * {@code oneTimeBurst} of extra tokens spent once. A zero size or a zero refill time disables the bucket.
 */
public record TokenBucket(long size, long oneTimeBurst, Duration refillTime) {
    public TokenBucket {
        if (size < 0 || oneTimeBurst < 0 || refillTime == null || refillTime.isNegative()) {
            throw new VmmException(VmmError.INVALID_SPEC, "token bucket values must be zero or positive",
                    "give size, one-time burst and refill time as non-negative numbers");
        }
    }

    public boolean enabled() {
        return size > 0 && !refillTime.isZero();
    }

    /** Sustained rate in tokens per second. */
    public double ratePerSecond() {
        return enabled() ? size * 1_000_000_000.0 / refillTime.toNanos() : Double.POSITIVE_INFINITY;
    }
}
