package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** Formatting a quantity and parsing it back gives the same number, for every representable value. */
class QuantityPropertiesTest {
    @Property
    void cpuFormatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long millis) {
        assertThat(Quantity.cpu(Quantity.formatCpu(millis))).isEqualTo(millis);
    }

    @Property
    void memoryFormatThenParseIsIdentity(@ForAll("bytes") long bytes) {
        assertThat(Quantity.memory(Quantity.formatMemory(bytes))).isEqualTo(bytes);
    }

    @Property
    void formattedMemoryIsNeverLongerThanPlainBytes(@ForAll("bytes") long bytes) {
        assertThat(Quantity.formatMemory(bytes).length()).isLessThanOrEqualTo(Long.toString(bytes).length());
    }

    /** Any byte count, with round binary and decimal sizes (where the suffixes matter) well represented. */
    @Provide
    Arbitrary<Long> bytes() {
        Arbitrary<Long> any = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<Long> binary = Arbitraries.longs().between(0, 1 << 20)
                .flatMap(n -> Arbitraries.integers().between(0, 42).map(shift -> n << shift));
        Arbitrary<Long> decimal = Arbitraries.longs().between(0, 1_000_000)
                .flatMap(n -> Arbitraries.integers().between(0, 12).map(e -> n * (long) Math.pow(10, e)));
        return Arbitraries.oneOf(any, binary, decimal);
    }
}
