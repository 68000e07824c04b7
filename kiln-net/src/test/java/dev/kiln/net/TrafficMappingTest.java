package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure part of the token bucket to tbf mapping. */
class TrafficMappingTest {

    @Test
    void rateIsSizePerRefillTime() {
        TbfSpec spec = TbfSpec.of(TokenBucket.of(1_250_000, Duration.ofMillis(100)), "rx");
        assertThat(spec.rateBytesPerSecond()).isEqualTo(12_500_000);
        assertThat(spec.burstBytes()).isEqualTo(1_250_000);
        assertThat(spec.tcArguments()).containsExactly("rate", "12500000bps", "burst", "1250000", "latency", "50ms");
    }

    @Test
    void oneTimeBurstIsFoldedIntoTheBucket() {
        TbfSpec spec = TbfSpec.of(new TokenBucket(100_000, 400_000, Duration.ofSeconds(1)), "tx");
        assertThat(spec.rateBytesPerSecond()).isEqualTo(100_000);
        assertThat(spec.burstBytes()).isEqualTo(500_000);
    }

    @Test
    void burstHasFloors() {
        assertThat(TbfSpec.of(TokenBucket.of(100, Duration.ofMillis(10)), "rx").burstBytes())
                .isEqualTo(TbfSpec.MIN_BURST_BYTES);
        // 1 GB/s with a 1 kB bucket: the floor is 4 ms of traffic
        assertThat(TbfSpec.of(TokenBucket.of(1_000, Duration.ofNanos(1_000)), "rx").burstBytes())
                .isEqualTo(4_000_000);
    }

    @Test
    void refusesBucketsTbfCannotHold() {
        assertThatThrownBy(() -> TbfSpec.of(TokenBucket.of(1_000_000_000L, Duration.ofSeconds(1000)), "rx"))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.UNSUPPORTED_LIMIT);
                    assertThat(e.getMessage()).contains("rx");
                });
    }

    @Test
    void disabledBucketsMeanNoLimit() {
        var limits = new NicLimits(RateLimiter.bandwidth(TokenBucket.of(0, Duration.ofMillis(100))),
                RateLimiter.bandwidth(TokenBucket.of(1000, Duration.ZERO)));
        var plan = TrafficShaper.Plan.of(limits);
        assertThat(plan.rx()).isEmpty();
        assertThat(plan.tx()).isEmpty();
        assertThat(TrafficShaper.Plan.of(NicLimits.none())).isEqualTo(new TrafficShaper.Plan(Optional.empty(),
                Optional.empty()));
    }

    @Test
    void opsLimitsAreRejectedButDisabledOpsAreFine() {
        var ops = new RateLimiter(Optional.empty(), Optional.of(TokenBucket.of(1000, Duration.ofSeconds(1))));
        assertThatThrownBy(() -> TrafficShaper.Plan.of(new NicLimits(RateLimiter.none(), ops)))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.UNSUPPORTED_LIMIT);
                    assertThat(e.getMessage()).contains("tx ops limit", "QEMU/tap");
                });
        var disabled = new RateLimiter(Optional.empty(), Optional.of(TokenBucket.of(0, Duration.ofSeconds(1))));
        assertThat(TrafficShaper.Plan.of(new NicLimits(disabled, disabled)).rx()).isEmpty();
    }
}
