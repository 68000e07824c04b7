package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import java.util.Objects;
import java.util.Optional;

/** {@code GET /machine-config}: the machine as Firecracker has it (defaults before any PUT: 1 vCPU, 128 MiB). */
public record MachineConfig(int vcpuCount, int memSizeMib, boolean smt, boolean trackDirtyPages, HugePages hugePages,
        Optional<String> cpuTemplate) {
    public MachineConfig {
        Objects.requireNonNull(hugePages, "hugePages");
        Objects.requireNonNull(cpuTemplate, "cpuTemplate");
    }
}
