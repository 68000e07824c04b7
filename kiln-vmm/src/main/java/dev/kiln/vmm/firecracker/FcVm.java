package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.LoadSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.PatchVm;
import dev.kiln.vmm.firecracker.FcRequest.VmState;
import java.util.concurrent.CompletableFuture;

/**
 * The driver's live state for one Firecracker process: kiln's phase, Firecracker's own state, and the one path by
 * which requests reach its API. Requests go one at a time, in order, each awaiting its 204; a request Firecracker
 * would refuse in its current state (a pre-boot call after {@code InstanceStart}) is refused here and never sent.
 */
final class FcVm {
    final VmHandle handle;
    final FcVmFacts facts;
    final FcProcess process;
    final FirecrackerApiClient api;
    final MetricsFeed metrics = new MetricsFeed();
    final CompletableFuture<VmPhase> done = new CompletableFuture<>();
    volatile boolean stopRequested;
    volatile boolean killRequested;
    private VmPhase phase;
    private FcState fcState;

    FcVm(VmHandle handle, FcVmFacts facts, FcProcess process, FirecrackerApiClient api, VmPhase phase, FcState fcState) {
        this.handle = handle;
        this.facts = facts;
        this.process = process;
        this.api = api;
        this.phase = phase;
        this.fcState = fcState;
    }

    /** Sends one request; Firecracker's state follows what it accepted. */
    synchronized void send(FcRequest request) {
        FcCall call = FcCall.callOf(request);
        if (!call.allowedWhen().permits(fcState)) {
            throw new VmmException(VmmError.INVALID_PHASE, call.describe() + " is not allowed while Firecracker's"
                    + " instance is '" + fcState.wire() + "'", switch (call.allowedWhen()) {
                        case PRE_BOOT -> "it configures a VM before InstanceStart; start a new VM instead";
                        case POST_BOOT -> "it needs a started VM";
                        case ALWAYS -> "retry";
                    });
        }
        api.send(request);
        fcState = switch (request) {
            case InstanceStart s -> FcState.RUNNING;
            case PatchVm p -> p.state() == VmState.PAUSED ? FcState.PAUSED : FcState.RUNNING;
            case LoadSnapshot l -> l.resumeVm() ? FcState.RUNNING : FcState.PAUSED;
            default -> fcState;
        };
    }

    synchronized FcState fcState() {
        return fcState;
    }

    synchronized VmPhase phase() {
        return phase;
    }

    /** Moves to {@code next} unless the VM has ended: a final phase is never overwritten. */
    synchronized void transition(VmPhase next) {
        if (!phase.isTerminal()) {
            phase = next;
        }
    }

    /** Settles the final phase (once). */
    synchronized void end(VmPhase last) {
        phase = last;
    }
}
