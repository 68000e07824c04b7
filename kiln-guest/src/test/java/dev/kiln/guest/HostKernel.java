package dev.kiln.guest;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Tests that build from the host's kernel run only where one is installed and readable. */
final class HostKernel {
    private HostKernel() {
    }

    static void assumeAvailable() {
        boolean readable;
        try (var files = Files.list(Path.of("/boot"))) {
            readable = files.anyMatch(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isReadable(p));
        } catch (Exception e) {
            readable = false;
        }
        Assumptions.assumeTrue(readable, "needs a readable /boot/vmlinuz-* (run as root on a Debian host)");
        Assumptions.assumeTrue(Files.isExecutable(GuestImageOptions.DEFAULT_BUSYBOX), "needs busybox-static");
    }
}
