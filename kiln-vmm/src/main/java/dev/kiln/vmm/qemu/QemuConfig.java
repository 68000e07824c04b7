package dev.kiln.vmm.qemu;

import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.HostCpu;
import dev.kiln.vmm.JailPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How the QEMU driver runs: which binary, which accelerator (chosen by {@link AcceleratorProbe}), QMP timeouts,
 * under TCG the host TSC rate handed to guests (see {@link HostCpu#tscKhz}), and whether QEMU runs jailed
 * ({@link JailPolicy}: on unless {@code KILN_VMM_JAIL=off}; see {@link QemuJail}).
 */
public record QemuConfig(Path binary, AcceleratorChoice accelerator, Duration qmpTimeout, Duration startTimeout,
                         Optional<Long> tscKhz, JailPolicy jail) {
    public static QemuConfig of(Path binary, AcceleratorChoice accelerator) {
        return new QemuConfig(binary, accelerator, Duration.ofSeconds(10), Duration.ofSeconds(15),
                HostCpu.tscKhz(Path.of("/proc/cpuinfo")), JailPolicy.fromEnvironment());
    }

    public QemuConfig withJail(JailPolicy policy) {
        return new QemuConfig(binary, accelerator, qmpTimeout, startTimeout, tscKhz, policy);
    }
}
