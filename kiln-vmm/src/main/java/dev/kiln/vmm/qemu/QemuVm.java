package dev.kiln.vmm.qemu;

import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmPhase;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The driver's live state for one QEMU process. */
final class QemuVm {
    final VmHandle handle;
    final Optional<Process> process;
    final CompletableFuture<VmPhase> done = new CompletableFuture<>();
    volatile QmpClient qmp;
    private VmPhase phase;
    volatile boolean stopRequested;
    volatile boolean killRequested;
    volatile Optional<String> shutdownReason = Optional.empty();
    /** The jail this driver made for the process (none when the jail is off or the VM was recovered). */
    volatile Optional<QemuJail.Jail> jail = Optional.empty();
    /** The hugetlbfs the driver mounted for the guest's memory, unmounted when the VM ends. */
    volatile Optional<java.nio.file.Path> hugeMount = Optional.empty();
    /** Set once the jail and the hugetlbfs have been released. */
    volatile boolean released;

    QemuVm(VmHandle handle, Optional<Process> process, VmPhase phase) {
        this.handle = handle;
        this.process = process;
        this.phase = phase;
    }

    synchronized VmPhase phase() {
        return phase;
    }

    /** Moves to {@code next} unless the VM has ended: a final phase is never overwritten. */
    synchronized void transition(VmPhase next) {
        if (!phase.isTerminal()) phase = next;
    }

    /** Settles the final phase (once). */
    synchronized void end(VmPhase last) {
        phase = last;
    }
}
