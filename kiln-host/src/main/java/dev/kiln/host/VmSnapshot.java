package dev.kiln.host;

import dev.kiln.net.GuestPolicy;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.Snapshots;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a VM of this host, from which clones start ({@link VmService#restore}): the VMM's state and the
 * guest's memory, a copy of the scratch disk taken at the same paused moment, the drives in their order, and the
 * template VM (kept paused: its address stays leased, because every clone wakes up with it until the clone takes its
 * own).
 *
 * @param hugePages the template's memory is on huge pages; its clones' memory is too (a clone is started with the
 *                  template's memory backend)
 * @param policy    the template's tenant and egress policy, which its clones get
 */
public record VmSnapshot(String templateId, String templateName, Path dir, Snapshots.SnapshotFiles files,
                         Path scratch, List<DriveSpec> drives, int vcpus, String memory, String driver, String ip,
                         String token, String mac, String tap, boolean hugePages, GuestPolicy policy) {
    public VmSnapshot {
        drives = List.copyOf(drives);
        Objects.requireNonNull(policy, "policy");
    }
}
