package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HugePagesTest {
    private static HugePages pages(long total, long free, long reserved) {
        return HugePages.parse(List.of("MemTotal:       24000000 kB", "HugePages_Total:   " + total,
                "HugePages_Free:    " + free, "HugePages_Rsvd:    " + reserved, "HugePages_Surp:        0",
                "Hugepagesize:       2048 kB"));
    }

    @Test
    void freePagesAreThoseNeitherUsedNorReserved() {
        assertThat(pages(100, 80, 30)).isEqualTo(new HugePages(100, 50, ByteSize.ofMebibytes(2)));
    }

    @Test
    void aHostWithoutReservedPagesGetsAClearErrorThatSaysHowToReserveThem() {
        assertThatThrownBy(() -> pages(0, 0, 0).check(ByteSize.parse("256M")))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.getMessage()).contains("has 0 free of 0 reserved 2M huge pages", "needs 128");
                    assertThat(e.hint()).contains("echo 128 > /proc/sys/vm/nr_hugepages");
                });
    }

    @Test
    void enoughFreePagesPassAndMemoryMustBeWholePages() {
        pages(200, 128, 0).check(ByteSize.parse("256M"));
        assertThatThrownBy(() -> pages(200, 127, 0).check(ByteSize.parse("256M"))).isInstanceOf(VmmException.class);
        assertThatThrownBy(() -> pages(200, 200, 0).check(ByteSize.parse("257M")))
                .hasMessageContaining("not a whole number of 2M huge pages");
    }
}
