package dev.kiln.vmm.firecracker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files that tests hand to the Firecracker driver in place of real kernels and disks. */
final class FcTestFiles {
    private FcTestFiles() {}

    /** A file that starts like an ELF vmlinux, which is all the driver looks at. */
    static Path fakeVmlinux(Path file) {
        byte[] head = new byte[1024];
        head[0] = 0x7F;
        head[1] = 'E';
        head[2] = 'L';
        head[3] = 'F';
        return write(file, head);
    }

    /** A file with the x86 boot header of a bzImage ("HdrS" at 0x202). */
    static Path fakeBzImage(Path file) {
        byte[] head = new byte[1024];
        head[0x202] = 'H';
        head[0x203] = 'd';
        head[0x204] = 'r';
        head[0x205] = 'S';
        return write(file, head);
    }

    static Path write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, String content) {
        return write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
