package dev.kiln.vmm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The optional snapshot feature of a driver, reached through {@link VmmDriver#snapshots()} where
 * {@link DriverCapabilities#snapshots()} is true.
 */
public interface Snapshots {
    /** Where a snapshot lives on the host: the VMM's state and the guest's memory. */
    record SnapshotFiles(Path state, Path memory) {
        public SnapshotFiles {
            state = Objects.requireNonNull(state, "state").toAbsolutePath().normalize();
            memory = Objects.requireNonNull(memory, "memory").toAbsolutePath().normalize();
            if (state.equals(memory)) {
                throw new VmmException(VmmError.INVALID_SPEC, "snapshot state and memory are both " + state,
                        "give two different files");
            }
        }

        public static SnapshotFiles in(Path dir) {
            return new SnapshotFiles(dir.resolve("snapshot.state"), dir.resolve("snapshot.mem"));
        }
    }

    /**
     * Writes a full snapshot of a running or paused VM to {@code files} (replacing them). The VM is paused for the
     * write and afterwards is in the phase it was in before.
     */
    SnapshotFiles createSnapshot(VmId id, SnapshotFiles files);

    /**
     * Writes a snapshot of a running VM and leaves it paused at the moment the snapshot holds (so that its disks can
     * be copied to match). The snapshot records a running guest: a VM loaded from it runs at once.
     */
    default SnapshotFiles createSnapshotAndPause(VmId id, SnapshotFiles files) {
        throw new VmmException(VmmError.UNSUPPORTED, "this driver cannot leave a VM paused at its snapshot",
                "use createSnapshot");
    }

    /**
     * Starts a new VMM for {@code spec} from a snapshot and resumes it. The spec's NICs give the new VM its taps (a
     * clone needs its own), its identity goes to the guest as for a fresh boot; vCPUs, memory and drives come from
     * the snapshot, so they must match the spec the snapshot was taken of.
     */
    VmHandle loadSnapshot(VmSpec spec, Path runDir, SnapshotFiles files);
}
