package dev.kiln.api;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;

/**
 * A token bucket with Firecracker's semantics: the bucket holds up to {@code size} tokens and refills completely
 * every {@code refillTime} (so the sustained rate is {@code size / refillTime}); {@code oneTimeBurst} extra tokens
 * are available once at the start and do not refill. A bucket with {@code size == 0} or a zero refill time is
 * disabled (no limit). For bandwidth a token is a byte; for ops a token is a packet.
 *
 * @param size         tokens per refill period, {@code >= 0}
 * @param oneTimeBurst extra initial tokens, {@code >= 0}
 * @param refillTime   the refill period, not negative
 */
public record TokenBucket(long size, long oneTimeBurst, Duration refillTime) {
    public TokenBucket {
        Objects.requireNonNull(refillTime, "refillTime");
        if (size < 0 || oneTimeBurst < 0) {
            throw new ApiException(
                    "token bucket size and one-time burst must not be negative: size=" + size
                            + ", oneTimeBurst=" + oneTimeBurst,
                    "use 0 to disable the bucket");
        }
        if (refillTime.isNegative()) {
            throw new ApiException( "token bucket refill time is negative: " + refillTime,
                    "use a positive refill time, e.g. 100ms, or zero to disable the bucket");
        }
    }

    /** A bucket of {@code size} tokens that refills every {@code refillTime}, without a one-time burst. */
    public static TokenBucket of(long size, Duration refillTime) {
        return new TokenBucket(size, 0, refillTime);
    }

    /** False when the bucket imposes no limit ({@code size == 0} or zero refill time). */
    public boolean isEnabled() {
        return size > 0 && !refillTime.isZero();
    }

    /** Sustained rate in tokens per second, rounded to the nearest token (0 when disabled). */
    public long tokensPerSecond() {
        if (!isEnabled()) {
            return 0;
        }
        return BigInteger.valueOf(size)
                .multiply(BigInteger.valueOf(1_000_000_000L))
                .add(BigInteger.valueOf(refillTime.toNanos() / 2))
                .divide(BigInteger.valueOf(refillTime.toNanos()))
                .min(BigInteger.valueOf(Long.MAX_VALUE))
                .longValueExact();
    }
}
