package dev.kiln.net;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The tc {@code tbf} qdisc that stands for one Firecracker bandwidth bucket. See {@link TrafficShaper} for the
 * mapping.
 *
 * @param rateBytesPerSecond the sustained rate: {@code size * 1s / refillTime}
 * @param burstBytes         the bucket: {@code max(size + oneTimeBurst, MIN_BURST_BYTES, rate * 4ms)}
 * @param latency            how long a packet may wait in the queue before tbf drops it
 */
record TbfSpec(long rateBytesPerSecond, long burstBytes, Duration latency) {
    /** Two full Ethernet frames: a smaller bucket could not pass a 1500-byte packet after a small one. */
    static final long MIN_BURST_BYTES = 2 * 1514;
    /** tbf accounts at timer granularity; a bucket below rate / HZ (HZ 250: 4 ms) cannot reach the rate. */
    static final long MIN_BURST_MILLIS = 4;
    /**
     * tbf stores the bucket as the time to send it at the rate, a 32-bit count of 64 ns ticks (about 274 s); tc
     * silently truncates beyond that, so larger buckets are refused.
     */
    static final long MAX_BUCKET_SECONDS = 250;
    /** Queueing allowance: tc derives the queue limit as {@code rate * latency + burst}. */
    static final Duration LATENCY = Duration.ofMillis(50);

    /** The tbf for an enabled bandwidth bucket; empty when the bucket is absent or disabled. */
    static Optional<TbfSpec> forBandwidth(RateLimiter limiter, String direction) {
        return limiter.activeBandwidth().map(bucket -> of(bucket, direction));
    }

    static TbfSpec of(TokenBucket bucket, String direction) {
        long rate = bucket.tokensPerSecond();
        long floor = Math.max(MIN_BURST_BYTES, Math.ceilDiv(rate, 1000 / MIN_BURST_MILLIS));
        long burst = Math.max(floor, saturatedAdd(bucket.size(), bucket.oneTimeBurst()));
        if (rate < 1 || burst / rate > MAX_BUCKET_SECONDS) {
            throw new NetException(NetError.UNSUPPORTED_LIMIT, direction + " bandwidth bucket " + bucket
                    + " gives a rate of " + rate + " B/s with a bucket of " + burst + " B, which tbf cannot hold"
                    + " (it allows at most " + MAX_BUCKET_SECONDS + " s of traffic at the rate in the bucket)",
                    "raise the rate (size / refillTime) or lower size + oneTimeBurst");
        }
        if (burst > 0xFFFF_FFFFL) {
            throw new NetException(NetError.UNSUPPORTED_LIMIT, direction + " bandwidth bucket " + bucket
                    + " needs a bucket of " + burst + " B; tbf's bucket is a 32-bit byte count",
                    "keep size + oneTimeBurst below 4 GiB");
        }
        return new TbfSpec(rate, burst, LATENCY);
    }

    /** The tc arguments after {@code tbf}. */
    List<String> tcArguments() {
        return List.of("rate", rateBytesPerSecond + "bps", "burst", Long.toString(burstBytes),
                "latency", latency.toMillis() + "ms");
    }

    /** True when a tbf that tc reports with this rate and burst is this spec (tc rounds the burst via ticks). */
    boolean matches(TrafficShaper.ReportedTbf reported) {
        long tolerance = Math.max(2, burstBytes / 100);
        return reported.rate() == rateBytesPerSecond && Math.abs(reported.burst() - burstBytes) <= tolerance;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
