package dev.kiln.vmm.fake;

import dev.kiln.vmm.VmExit;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmPhase;
import java.util.concurrent.CompletableFuture;

/** One fake VM in a {@link FakeWorld}. */
final class FakeVm {
    private final FakeWorld world;
    final VmHandle handle;
    final CompletableFuture<VmPhase> done = new CompletableFuture<>();
    private VmPhase phase;

    FakeVm(FakeWorld world, VmHandle handle, VmPhase phase) {
        this.world = world;
        this.handle = handle;
        this.phase = phase;
    }

    synchronized VmPhase phase() {
        return phase;
    }

    synchronized void phase(VmPhase p) {
        if (!phase.isTerminal()) phase = p;
    }

    synchronized boolean ended() {
        return phase.isTerminal();
    }

    void die(int status, boolean asked, boolean graceful) {
        VmPhase end;
        synchronized (this) {
            if (phase.isTerminal()) return;
            VmExit exit = VmExit.of(world.clock.instant(), status,
                    asked ? (graceful ? "stopped by kiln (guest shut down)" : "killed by kiln")
                            : "VMM process " + VmExit.describeStatus(status) + " unexpectedly");
            end = asked ? new VmPhase.Stopped(exit) : new VmPhase.Failed(exit);
            phase = end;
        }
        done.complete(end);
    }
}
