package dev.kiln.host;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.time.Duration;
import java.util.Optional;

/** A rate limiter as the API writes it. */
public record RateLimiterJson(Optional<TokenBucketJson> bandwidth, Optional<TokenBucketJson> ops) {
    public RateLimiterJson {
        bandwidth = bandwidth == null ? Optional.empty() : bandwidth;
        ops = ops == null ? Optional.empty() : ops;
    }

    public RateLimiter toLimiter() {
        return new RateLimiter(bandwidth.map(RateLimiterJson::bucket), ops.map(RateLimiterJson::bucket));
    }

    private static TokenBucket bucket(TokenBucketJson b) {
        if (b.size() < 0 || b.oneTimeBurst() < 0 || b.refillTime() < 0) {
            throw new HostException(HostError.INVALID_SPEC, "token bucket values must not be negative",
                    "give size, oneTimeBurst and refillTime (ms) as numbers >= 0");
        }
        return new TokenBucket(b.size(), b.oneTimeBurst(), Duration.ofMillis(b.refillTime()));
    }
}
