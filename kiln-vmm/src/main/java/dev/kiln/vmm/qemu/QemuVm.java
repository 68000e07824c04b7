package dev.kiln.vmm.qemu;

import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmPhase;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The driver's live state for one QEMU process. */
final class QemuVm {
    final VmHandle handle;
    final Optional<Process> process;
    final List<String> driveIds;
    final CompletableFuture<VmPhase> done = new CompletableFuture<>();
    volatile QmpClient qmp;
    volatile VmPhase phase;
    volatile boolean stopRequested;
    volatile boolean killRequested;
    volatile Optional<String> shutdownReason = Optional.empty();

    QemuVm(VmHandle handle, Optional<Process> process, List<String> driveIds, VmPhase phase) {
        this.handle = handle;
        this.process = process;
        this.driveIds = List.copyOf(driveIds);
        this.phase = phase;
    }

    static List<String> driveIds(List<DriveSpec> drives) {
        return drives.stream().map(DriveSpec::id).toList();
    }
}
