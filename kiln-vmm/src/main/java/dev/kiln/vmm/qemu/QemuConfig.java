package dev.kiln.vmm.qemu;

import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.HostCpu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How the QEMU driver runs: which binary, which accelerator (chosen by {@link AcceleratorProbe}), QMP timeouts,
 * and under TCG the host TSC rate handed to guests (see {@link HostCpu#tscKhz}).
 */
public record QemuConfig(Path binary, AcceleratorChoice accelerator, Duration qmpTimeout, Duration startTimeout,
                         Optional<Long> tscKhz) {
    public static QemuConfig of(Path binary, AcceleratorChoice accelerator) {
        return new QemuConfig(binary, accelerator, Duration.ofSeconds(10), Duration.ofSeconds(15),
                HostCpu.tscKhz(Path.of("/proc/cpuinfo")));
    }
}
