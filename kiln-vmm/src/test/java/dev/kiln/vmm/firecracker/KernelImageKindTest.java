package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel files are told apart by their first bytes; Firecracker's x86_64 loader takes only the ELF one. */
class KernelImageKindTest {
    static final Path DEBIAN_BZIMAGE = Path.of("/boot/vmlinuz-6.1.0-56-amd64");

    @TempDir
    Path tmp;

    /** The first bytes of a 64-bit little-endian ELF executable. */
    static byte[] elfHeader() {
        byte[] b = new byte[64];
        b[0] = 0x7F;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16] = 2;
        return b;
    }

    /** A file with the x86 boot protocol's "HdrS" at 0x202, as a bzImage has. */
    static byte[] bzImageHeader() {
        byte[] b = new byte[1024];
        b[0] = 'M';
        b[1] = 'Z';
        b[0x202] = 'H';
        b[0x203] = 'd';
        b[0x204] = 'r';
        b[0x205] = 'S';
        return b;
    }

    Path write(String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    @Test
    void anElfHeaderIsAVmlinux() throws IOException {
        Path vmlinux = write("vmlinux", elfHeader());

        assertThat(KernelImageKind.of(vmlinux)).isEqualTo(KernelImageKind.ELF_VMLINUX);
        assertThat(KernelImageKind.requireVmlinux(vmlinux)).isEqualTo(vmlinux);
    }

    @Test
    void aBootProtocolHeaderIsABzImageAndIsRefusedWithAWayToAVmlinux() throws IOException {
        Path bz = write("bzImage", bzImageHeader());

        assertThat(KernelImageKind.of(bz)).isEqualTo(KernelImageKind.BZIMAGE);
        assertThatThrownBy(() -> KernelImageKind.requireVmlinux(bz)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains("a bzImage where Firecracker needs an uncompressed vmlinux");
            assertThat(e.hint()).contains("extract-vmlinux").contains("make vmlinux");
        });
    }

    @Test
    void garbageShortAndEmptyFilesAreUnknown() throws IOException {
        assertThat(KernelImageKind.of(write("garbage", "#!/bin/sh\necho not a kernel\n".getBytes())))
                .isEqualTo(KernelImageKind.UNKNOWN);
        assertThat(KernelImageKind.of(write("short", new byte[] {0x7F, 'E', 'L'})))
                .isEqualTo(KernelImageKind.UNKNOWN);
        assertThat(KernelImageKind.of(write("empty", new byte[0]))).isEqualTo(KernelImageKind.UNKNOWN);
        byte[] truncatedBz = new byte[0x204];
        System.arraycopy(bzImageHeader(), 0, truncatedBz, 0, truncatedBz.length);
        assertThat(KernelImageKind.of(write("truncated", truncatedBz))).isEqualTo(KernelImageKind.UNKNOWN);

        Path garbage = tmp.resolve("garbage");
        assertThatThrownBy(() -> KernelImageKind.requireVmlinux(garbage))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.getMessage()).contains("neither an ELF vmlinux nor a bzImage");
                });
    }

    @Test
    void aMissingKernelIsFileNotFound() {
        Path missing = tmp.resolve("no-such-vmlinux");

        assertThatThrownBy(() -> KernelImageKind.requireVmlinux(missing))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.FILE_NOT_FOUND);
                    assertThat(e.getMessage()).contains(missing.toString());
                });
        assertThatThrownBy(() -> KernelImageKind.of(tmp)).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.FILE_NOT_FOUND));
    }

    /** Debian's installed kernel is a real bzImage; runs where it exists. */
    @Test
    void debiansInstalledKernelIsABzImage() {
        assumeTrue(Files.isReadable(DEBIAN_BZIMAGE), DEBIAN_BZIMAGE + " is not on this host");

        assertThat(KernelImageKind.of(DEBIAN_BZIMAGE)).isEqualTo(KernelImageKind.BZIMAGE);
        assertThatThrownBy(() -> KernelImageKind.requireVmlinux(DEBIAN_BZIMAGE))
                .hasMessageContaining("a bzImage where Firecracker needs an uncompressed vmlinux");
    }
}
