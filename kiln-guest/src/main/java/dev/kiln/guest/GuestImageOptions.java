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
 * @param agent      the guest agent's host inputs; empty builds an image without the agent (and without runc),
 *                   which is quicker to build but cannot run containers
 */
public record GuestImageOptions(Optional<Path> kernel, Optional<Path> modulesDir, Path busybox,
                                Optional<GuestAgentOptions> agent) {
    /** Where Debian's busybox-static package installs busybox. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");

    public GuestImageOptions {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(modulesDir, "modulesDir");
        Objects.requireNonNull(busybox, "busybox");
        Objects.requireNonNull(agent, "agent");
    }

    /** The host's newest kernel with its modules, {@code /bin/busybox}, and the guest agent with its defaults. */
    public static GuestImageOptions defaults() {
        return new GuestImageOptions(Optional.empty(), Optional.empty(), DEFAULT_BUSYBOX,
                Optional.of(GuestAgentOptions.defaults()));
    }

    public GuestImageOptions withKernel(Path path) {
        return new GuestImageOptions(Optional.of(path), modulesDir, busybox, agent);
    }

    public GuestImageOptions withModulesDir(Path path) {
        return new GuestImageOptions(kernel, Optional.of(path), busybox, agent);
    }

    public GuestImageOptions withBusybox(Path path) {
        return new GuestImageOptions(kernel, modulesDir, path, agent);
    }

    public GuestImageOptions withAgent(GuestAgentOptions options) {
        return new GuestImageOptions(kernel, modulesDir, busybox, Optional.of(options));
    }

    public GuestImageOptions withoutAgent() {
        return new GuestImageOptions(kernel, modulesDir, busybox, Optional.empty());
    }
}
