package dev.kiln.cluster.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.ApiException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValuesTest {
    @Test
    void capacityArithmetic() {
        Capacity a = Capacity.of(1500, 2048);
        Capacity b = Capacity.of(500, 1024);

        assertThat(a.plus(b)).isEqualTo(Capacity.of(2000, 3072));
        assertThat(b.minus(a)).isEqualTo(Capacity.of(-1000, -1024));
        assertThat(b.fits(a)).isTrue();
        assertThat(a.fits(b)).isFalse();
        assertThat(Capacity.of(500, 4096).fits(a)).isFalse();
        assertThat(a.fits(a)).isTrue();
        assertThatThrownBy(() -> Capacity.of(Long.MAX_VALUE, 0).plus(Capacity.of(1, 0)))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void quantitiesReadLikeKubernetes() {
        assertThat(Quantities.cpu(2000)).isEqualTo("2");
        assertThat(Quantities.cpu(1500)).isEqualTo("1500m");
        assertThat(Quantities.cpu(0)).isEqualTo("0");
        assertThat(Quantities.cpu(-250)).isEqualTo("-250m");
        assertThat(Quantities.memory(512L << 20)).isEqualTo("512Mi");
        assertThat(Quantities.memory(8L << 30)).isEqualTo("8Gi");
        assertThat(Quantities.memory(1536L << 20)).isEqualTo("1536Mi");
        assertThat(Quantities.memory(1_000_000_000)).isEqualTo("1G");
        assertThat(Quantities.memory(1000)).isEqualTo("1k");
        assertThat(Quantities.memory(1234567)).isEqualTo("1234567");
        assertThat(Quantities.memory(0)).isEqualTo("0");
        assertThat(Capacity.of(250, 3L << 30)).hasToString("cpu 250m, memory 3Gi");
        assertThat(Quantities.selector(Map.of("zone", "a", "disktype", "ssd"))).isEqualTo("disktype=ssd,zone=a");
    }

    @Test
    void recordsRejectBadValues() {
        assertThatThrownBy(() -> Bin.of(" ", Capacity.ZERO)).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> Bin.of("a", Capacity.of(-1, 0))).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> Item.of("x", Capacity.of(0, -1), "g")).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> new Snapshot(List.of(Bin.of("a", Capacity.ZERO), Bin.of("a", Capacity.ZERO)),
                List.of())).isInstanceOf(ApiException.class).hasMessageContaining("two bins are named a");
        assertThatThrownBy(() -> new Placement(Map.of("x", "a"), Map.of("x", new Unschedulable("no"))))
                .isInstanceOf(ApiException.class);
    }

    @Test
    void selectorsMatchAllTheirLabels() {
        Bin bin = Bin.of("a", Capacity.ZERO).withLabels(Map.of("disktype", "ssd", "zone", "x"));

        assertThat(bin.matches(Map.of())).isTrue();
        assertThat(bin.matches(Map.of("disktype", "ssd"))).isTrue();
        assertThat(bin.matches(Map.of("disktype", "ssd", "zone", "y"))).isFalse();
        assertThat(bin.matches(Map.of("gpu", "yes"))).isFalse();
    }
}
