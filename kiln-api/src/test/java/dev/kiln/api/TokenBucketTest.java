package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    @Test
    void negativeValuesAreRejectedWithAHint() {
        assertThatThrownBy(() -> new TokenBucket(-1, 0, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.hint()).contains("0 to disable"));
        assertThatThrownBy(() -> new TokenBucket(1, -5, Duration.ofSeconds(1))).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, Duration.ofSeconds(-1)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("negative"));
    }

    @Test
    void rateIsSizeOverRefillTimeRounded() {
        assertThat(TokenBucket.of(3, Duration.ofSeconds(2)).tokensPerSecond()).isEqualTo(2);
        assertThat(TokenBucket.of(1 << 20, Duration.ofMillis(250)).tokensPerSecond()).isEqualTo(4L << 20);
        assertThat(TokenBucket.of(Long.MAX_VALUE, Duration.ofNanos(1)).tokensPerSecond()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aZeroSizeOrRefillTimeDisablesTheBucket() {
        assertThat(TokenBucket.of(0, Duration.ofSeconds(1)).isEnabled()).isFalse();
        assertThat(TokenBucket.of(10, Duration.ZERO).isEnabled()).isFalse();
        assertThat(TokenBucket.of(0, Duration.ofSeconds(1)).tokensPerSecond()).isZero();
        RateLimiter disabled = new RateLimiter(Optional.of(TokenBucket.of(0, Duration.ofSeconds(1))), Optional.empty());
        assertThat(disabled.isUnlimited()).isTrue();
        assertThat(disabled.activeBandwidth()).isEmpty();
        assertThat(RateLimiter.bandwidth(TokenBucket.of(5, Duration.ofSeconds(1))).activeBandwidth()).isPresent();
    }
}
