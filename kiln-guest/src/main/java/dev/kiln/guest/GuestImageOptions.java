package dev.kiln.guest;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What to build a guest image from.
 *
 * @param kernel     the kernel image (bzImage); empty means the newest {@code /boot/vmlinuz-*} that has a
 *                   matching {@code /lib/modules/<version>}. A given kernel must exist.
 * @param modulesDir the kernel's module tree (the directory holding {@code modules.dep}); empty means
 *                   {@code /lib/modules/<kernel version>}
 * @param busybox    a statically linked busybox binary
 */
public record GuestImageOptions(Optional<Path> kernel, Optional<Path> modulesDir, Path busybox) {
    /** Where Debian's busybox-static package installs busybox. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");

    public GuestImageOptions {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(modulesDir, "modulesDir");
        Objects.requireNonNull(busybox, "busybox");
    }

    /** The host's newest kernel with its modules, and {@code /bin/busybox}. */
    public static GuestImageOptions defaults() {
        return new GuestImageOptions(Optional.empty(), Optional.empty(), DEFAULT_BUSYBOX);
    }

    public GuestImageOptions withKernel(Path path) {
        return new GuestImageOptions(Optional.of(path), modulesDir, busybox);
    }

    public GuestImageOptions withModulesDir(Path path) {
        return new GuestImageOptions(kernel, Optional.of(path), busybox);
    }

    public GuestImageOptions withBusybox(Path path) {
        return new GuestImageOptions(kernel, modulesDir, path);
    }
}
