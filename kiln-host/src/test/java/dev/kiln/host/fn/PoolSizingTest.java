package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolSizingTest {
    private static final Instant NOW = Instant.parse("2026-11-23T18:00:00Z");
    private static final Duration WINDOW = Duration.ofMinutes(5);

    @Test
    void thePoolFollowsTheColdStartsOfTheWindowUpToItsCap() {
        assertThat(PoolSizing.target(List.of(), NOW, WINDOW, 4)).as("no demand, no pool").isZero();
        assertThat(PoolSizing.target(List.of(NOW.minusSeconds(10)), NOW, WINDOW, 4)).isEqualTo(1);
        assertThat(PoolSizing.target(List.of(NOW.minusSeconds(10), NOW.minusSeconds(20), NOW.minusSeconds(30)), NOW,
                WINDOW, 4)).as("a burst of three cold starts").isEqualTo(3);
        assertThat(PoolSizing.target(List.of(NOW, NOW, NOW, NOW, NOW, NOW), NOW, WINDOW, 4)).as("capped").isEqualTo(4);
        assertThat(PoolSizing.target(List.of(NOW.minus(WINDOW).minusSeconds(1), NOW.minusSeconds(400)), NOW, WINDOW,
                4)).as("demand older than the window is forgotten: scale to zero").isZero();
        assertThat(PoolSizing.target(List.of(NOW), NOW, WINDOW, 0)).as("pool off").isZero();
    }
}
