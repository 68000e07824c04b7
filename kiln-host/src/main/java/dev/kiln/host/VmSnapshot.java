package dev.kiln.host;

import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.Snapshots;
import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot of a VM of this host, from which clones start ({@link VmService#restore}): the VMM's state and the
 * guest's memory, a copy of the scratch disk taken at the same paused moment, the drives in their order, and the
 * template VM (kept paused: its address stays leased, because every clone wakes up with it until the clone takes its
 * own).
 */
public record VmSnapshot(String templateId, String templateName, Path dir, Snapshots.SnapshotFiles files,
                         Path scratch, List<DriveSpec> drives, int vcpus, String memory, String driver, String ip,
                         String token, String mac, String tap) {
    public VmSnapshot {
        drives = List.copyOf(drives);
    }
}
