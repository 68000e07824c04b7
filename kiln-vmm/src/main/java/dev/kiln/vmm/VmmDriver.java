package dev.kiln.vmm;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The VMM driver SPI, keyed by VM id. One VMM process per VM. Implementations are thread-safe.
 * Optional features are announced in {@link #capabilities()}; calling an unsupported one throws UNSUPPORTED.
 */
public interface VmmDriver extends AutoCloseable {
    String name();

    DriverCapabilities capabilities();

    /** Starts the VMM for {@code spec}, with its sockets and logs in {@code runDir}; returns once the VMM answers. */
    VmHandle start(VmSpec spec, java.nio.file.Path runDir);

    /** Re-attaches to a VMM started by an earlier agent. Returns its status; a VMM that is gone reports Failed. */
    VmStatus recover(VmHandle handle);

    /** Completes when the VMM process has ended, with its final phase (Stopped or Failed). */
    CompletableFuture<VmPhase> await(VmId id);

    /** Asks the guest to shut down; kills the VMM if it has not ended within {@code timeout}. */
    VmPhase stop(VmId id, Duration timeout);

    /** Ends the VMM at once (SIGKILL). */
    VmPhase kill(VmId id);

    void pause(VmId id);

    void resume(VmId id);

    void update(VmId id, VmUpdate update);

    VmStatus inspect(VmId id);

    VmStats stats(VmId id);

    /** Forgets an ended VM and removes the driver's own files for it (sockets). Kills it first if it still runs. */
    void destroy(VmId id);

    /** The snapshot feature, present exactly when {@link DriverCapabilities#snapshots()} is true. */
    default Optional<Snapshots> snapshots() {
        return Optional.empty();
    }

    /** Stops watching all VMs without touching them: they keep running and can be recovered. */
    @Override
    void close();
}
