package dev.kiln.vmm;

import java.util.Objects;

/** The driver kiln runs VMs with, its accelerator, and why: always shown to the user, never silently chosen. */
public sealed interface DriverChoice {
    /** Firecracker, which always runs under KVM. */
    record Firecracker(String reason) implements DriverChoice {
        public Firecracker {
            Objects.requireNonNull(reason, "reason");
        }
    }

    record Qemu(Accelerator accelerator, String reason) implements DriverChoice {
        public Qemu {
            Objects.requireNonNull(accelerator, "accelerator");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The fake driver: no VMM, no accelerator. */
    record Fake(String reason) implements DriverChoice {
        public Fake {
            Objects.requireNonNull(reason, "reason");
        }
    }

    String reason();

    /** The driver's name as in {@link VmHandle#driver()}. */
    default String driverName() {
        return switch (this) {
            case Firecracker f -> "firecracker";
            case Qemu q -> "qemu";
            case Fake f -> "fake";
        };
    }

    /** "kvm", "tcg" or "none", as in {@link VmHandle#accelerator()}. */
    default String acceleratorName() {
        return switch (this) {
            case Firecracker f -> Accelerator.KVM.qemuName();
            case Qemu q -> q.accelerator().qemuName();
            case Fake f -> "none";
        };
    }

    /** {@code "firecracker (kvm): <reason>"}: the line to show. */
    default String describe() {
        return driverName() + " (" + acceleratorName() + "): " + reason();
    }
}
