package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cluster.ClusterException;
import org.junit.jupiter.api.Test;

class IntOrPercentTest {
    @Test
    void resolvesCountsAndPercentages() {
        assertThat(IntOrPercent.parse("25%").resolve(10, true)).isEqualTo(3);
        assertThat(IntOrPercent.parse("25%").resolve(10, false)).isEqualTo(2);
        assertThat(IntOrPercent.parse("25%").resolve(4, false)).isEqualTo(1);
        assertThat(IntOrPercent.parse("25%").resolve(1, true)).isEqualTo(1);
        assertThat(IntOrPercent.parse("25%").resolve(1, false)).isZero();
        assertThat(IntOrPercent.parse("3").resolve(10, true)).isEqualTo(3);
        assertThat(IntOrPercent.count(2).resolve(0, false)).isEqualTo(2);
        assertThat(RollingUpdate.DEFAULT.maxSurge(3)).isEqualTo(1);
        assertThat(RollingUpdate.DEFAULT.maxUnavailable(3)).isZero();
    }

    @Test
    void parsesAndPrints() {
        assertThat(IntOrPercent.parse(" 50% ")).isEqualTo(IntOrPercent.percent(50)).hasToString("50%");
        assertThat(IntOrPercent.parse("0")).isEqualTo(IntOrPercent.count(0)).hasToString("0");
        assertThatThrownBy(() -> IntOrPercent.parse("half")).isInstanceOf(ClusterException.class)
                .hasMessage("invalid count or percentage 'half'");
        assertThatThrownBy(() -> IntOrPercent.parse("%")).isInstanceOf(ClusterException.class);
    }
}
