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

    @Test
    void theNodePoolKeepsItsFloorAndGrowsByRecentNewNodesUpToItsCap() {
        assertThat(PoolSizing.floorPlusRecent(List.of(), NOW, WINDOW, 1, 4)).as("idle: the floor").isEqualTo(1);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW.minusSeconds(5)), NOW, WINDOW, 1, 4))
                .as("one new node lately").isEqualTo(2);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW, NOW, NOW, NOW, NOW), NOW, WINDOW, 1, 4))
                .as("a burst of five, capped").isEqualTo(4);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW.minus(WINDOW).minusSeconds(1)), NOW, WINDOW, 1, 4))
                .as("demand older than the window is forgotten: back to the floor").isEqualTo(1);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW, NOW), NOW, WINDOW, 1, 1))
                .as("a cap at the floor: a fixed size").isEqualTo(1);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW, NOW), NOW, WINDOW, 2, 0))
                .as("a cap below the floor is the floor").isEqualTo(2);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW, NOW), NOW, WINDOW, 0, 3))
                .as("no floor: only demand").isEqualTo(2);
        assertThat(PoolSizing.floorPlusRecent(List.of(NOW), NOW, WINDOW, 0, 0)).as("pool off").isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PoolSizing.floorPlusRecent(List.of(), NOW, WINDOW,
                -1, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
}
