package dev.kiln.vmm;

import java.time.Instant;

/** Where a VMM process is in its life. A type, not a set of booleans; {@link Lifecycle} says what each phase allows. */
public sealed interface VmPhase {
    /** The VMM process is starting; the guest is not yet known to run. */
    record Starting(Instant since) implements VmPhase {}

    /** vCPUs run. Whether the guest is ready is a readiness concern above the driver. */
    record Running(Instant since) implements VmPhase {}

    record Paused(Instant since) implements VmPhase {}

    /** A graceful stop was asked for; the guest is shutting down. */
    record Stopping(Instant since) implements VmPhase {}

    /** The VMM process is gone, as asked or as the guest chose (power off). */
    record Stopped(VmExit exit) implements VmPhase {}

    /** The VMM process is gone and nobody asked for it. */
    record Failed(VmExit exit) implements VmPhase {}

    default String label() {
        return switch (this) {
            case Starting s -> "starting";
            case Running r -> "running";
            case Paused p -> "paused";
            case Stopping s -> "stopping";
            case Stopped s -> "stopped";
            case Failed f -> "failed";
        };
    }

    /** The exit cause of an ended VM, else the phase's label. */
    default String describe() {
        return switch (this) {
            case Stopped s -> s.exit().cause();
            case Failed f -> f.exit().cause();
            default -> label();
        };
    }

    default boolean isTerminal() {
        return this instanceof Stopped || this instanceof Failed;
    }
}
