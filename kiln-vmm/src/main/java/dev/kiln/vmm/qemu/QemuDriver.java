package dev.kiln.vmm.qemu;

import dev.kiln.vmm.VmmDriver;

/** Factory for the QEMU {@code microvm} driver. */
public final class QemuDriver {
    public static final String NAME = "qemu";

    private QemuDriver() {}

    public static VmmDriver create(QemuConfig config) {
        return new QemuVmmDriver(config);
    }
}
