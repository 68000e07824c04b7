package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityTest {
    @ParameterizedTest
    @CsvSource({"2, 2000", "0.5, 500", "500m, 500", "1, 1000", "0, 0", "1.25, 1250", "100m, 100", "0.001, 1",
            ".5, 500", "2., 2000", "1500m, 1500", "' 3 ', 3000"})
    void parsesCpu(String text, long millis) {
        assertThat(Quantity.cpu(text)).isEqualTo(millis);
    }

    @ParameterizedTest
    @CsvSource({"512Mi, 536870912", "1Gi, 1073741824", "2G, 2000000000", "1000, 1000", "128M, 128000000",
            "1Ki, 1024", "1k, 1000", "1Ti, 1099511627776", "1T, 1000000000000", "0.5Gi, 536870912", "1.5Ki, 1536",
            "0, 0", "1Pi, 1125899906842624", "1E, 1000000000000000000", "7Ei, 8070450532247928832"})
    void parsesMemory(String text, long bytes) {
        assertThat(Quantity.memory(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "1.5Xi", "", " ", "1 m", "2k", "0.0005", "1e3", "m", "1..2", "9223372036854776"})
    void rejectsBadCpu(String text) {
        assertThatThrownBy(() -> Quantity.cpu(text)).isInstanceOf(ClusterException.class)
                .hasMessageStartingWith("invalid CPU quantity '")
                .satisfies(e -> assertThat(((ClusterException) e).code()).isEqualTo(ClusterError.INVALID))
                .satisfies(e -> assertThat(((ClusterException) e).hint()).isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "1.5Xi", "", "1.5", "0.1Ki", "Mi", "1mi", "1K", "8Ei", "1GiB", "-1Gi"})
    void rejectsBadMemory(String text) {
        assertThatThrownBy(() -> Quantity.memory(text)).isInstanceOf(ClusterException.class)
                .hasMessageStartingWith("invalid memory quantity '");
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertThatThrownBy(() -> Quantity.memory("1.5Xi"))
                .hasMessage("invalid memory quantity '1.5Xi': unknown suffix 'Xi'");
        assertThatThrownBy(() -> Quantity.cpu("-1")).hasMessage("invalid CPU quantity '-1': quantities cannot be negative");
        assertThatThrownBy(() -> Quantity.cpu("abc"))
                .hasMessage("invalid CPU quantity 'abc': not a number with an optional suffix");
        assertThatThrownBy(() -> Quantity.cpu("0.0005"))
                .hasMessage("invalid CPU quantity '0.0005': the smallest CPU unit is 1m");
        assertThatThrownBy(() -> Quantity.memory("8Ei")).hasMessage("invalid memory quantity '8Ei': it is too large");
    }

    @ParameterizedTest
    @CsvSource({"500, 500m", "2000, 2", "0, 0", "1, 1m", "1500, 1500m", "100000, 100"})
    void formatsCpu(long millis, String text) {
        assertThat(Quantity.formatCpu(millis)).isEqualTo(text);
    }

    @ParameterizedTest
    @CsvSource({"536870912, 512Mi", "1073741824, 1Gi", "2000000000, 2G", "1000, 1k", "1024, 1Ki", "0, 0",
            "1, 1", "1536, 1536", "128000000, 128M", "1610612736, 1536Mi", "33554432, 32Mi", "999, 999"})
    void formatsMemoryInItsShortestForm(long bytes, String text) {
        assertThat(Quantity.formatMemory(bytes)).isEqualTo(text);
    }

    @Test
    void resourcesAddSubtractAndFit() {
        Resources small = Resources.of("500m", "256Mi");
        Resources big = Resources.of("2", "1Gi");
        assertThat(small.plus(small)).isEqualTo(Resources.of("1", "512Mi"));
        assertThat(big.minus(small)).isEqualTo(Resources.of("1500m", "768Mi"));
        assertThat(small.fits(big)).isTrue();
        assertThat(big.fits(small)).isFalse();
        assertThat(new Resources(100, 1L << 40).fits(big)).isFalse();
        assertThat(small.fits(small)).isTrue();
        assertThat(small.minus(big).anyNegative()).isTrue();
        assertThat(small).hasToString("cpu=500m, memory=256Mi");
    }
}
