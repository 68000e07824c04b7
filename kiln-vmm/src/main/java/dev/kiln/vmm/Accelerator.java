package dev.kiln.vmm;

/** How guest code runs: hardware virtualization or QEMU's software emulation. */
public enum Accelerator {
    KVM, TCG;

    public String qemuName() {
        return name().toLowerCase();
    }
}
