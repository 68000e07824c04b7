package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @ParameterizedTest
    @CsvSource({
            "256M, 268435456",
            "1G, 1073741824",
            "512MiB, 536870912",
            "1048576, 1048576",
            "4k, 4096",
            "2 GiB, 2147483648",
            "1T, 1099511627776",
            "10B, 10",
            "64mb, 67108864",
            "0, 0",
            "' 128M ', 134217728",
            "8388607T, 9223370937343148032",
    })
    void parsesUnitsAsPowersOfTwo(String text, long bytes) {
        assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"abc", "M", "1.5G", "-1M", "12X", "1 G B", "512iB", "1P",
            "99999999999999999999", "8388608T", "9999999999T"})
    void rejectsWhatIsNotASize(String text) {
        assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.hint()).isNotBlank();
        });
    }

    @ParameterizedTest
    @CsvSource({"268435456, 256M", "1073741824, 1G", "1610612736, 1536M", "2048, 2K", "1000, 1000", "0, 0", "1048577, 1048577"})
    void formatsWithTheLargestExactUnit(long bytes, String text) {
        assertThat(new ByteSize(bytes)).hasToString(text);
        assertThat(ByteSize.parse(text)).isEqualTo(new ByteSize(bytes));
    }

    @Test
    void negativeSizesAreInvalid() {
        assertThatThrownBy(() -> new ByteSize(-1)).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC));
    }

    @Test
    void comparesAndConverts() {
        assertThat(ByteSize.parse("1G")).isGreaterThan(ByteSize.parse("1023M"));
        assertThat(ByteSize.ofMebibytes(64)).isEqualByComparingTo(ByteSize.parse("64M"));
        assertThat(ByteSize.parse("1536M").mebibytes()).isEqualTo(1536);
    }
}
