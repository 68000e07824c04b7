package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the driver must know of a VM after it started, persisted in {@link dev.kiln.vmm.VmHandle#attributes()} so that
 * a new agent can recover the VM without its spec: the host paths of Firecracker's files, the jail (if any), the
 * cgroups the jailer made, and the drive and NIC ids that updates may name.
 */
record FcVmFacts(Path apiSocket, Path log, Path metrics, Optional<Path> vsock, Optional<Path> jailRoot,
        Optional<Path> jailDir, List<Path> cgroupDirs, List<String> driveIds, List<String> nicIds) {

    private static final String API = "api-socket";
    private static final String LOG = "firecracker-log";
    private static final String METRICS = "metrics";
    private static final String VSOCK = "vsock";
    private static final String JAIL_ROOT = "jail-root";
    private static final String JAIL_DIR = "jail-dir";
    private static final String CGROUPS = "cgroups";
    private static final String DRIVES = "drives";
    private static final String NICS = "nics";

    FcVmFacts {
        cgroupDirs = List.copyOf(cgroupDirs);
        driveIds = List.copyOf(driveIds);
        nicIds = List.copyOf(nicIds);
    }

    static FcVmFacts of(FcLayout layout, VmSpec spec, List<Path> cgroupDirs) {
        return new FcVmFacts(layout.apiSocket(), layout.logOnHost(), layout.metricsOnHost(),
                spec.channel() == GuestChannel.VSOCK ? Optional.of(layout.vsockOnHost()) : Optional.empty(),
                layout.jailRoot(), layout.jailDir(), cgroupDirs,
                spec.drives().stream().map(DriveSpec::id).toList(), spec.nics().stream().map(NicSpec::id).toList());
    }

    Map<String, String> toAttributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put(API, apiSocket.toString());
        a.put(LOG, log.toString());
        a.put(METRICS, metrics.toString());
        vsock.ifPresent(v -> a.put(VSOCK, v.toString()));
        jailRoot.ifPresent(r -> a.put(JAIL_ROOT, r.toString()));
        jailDir.ifPresent(d -> a.put(JAIL_DIR, d.toString()));
        for (int i = 0; i < cgroupDirs.size(); i++) {
            a.put(CGROUPS + "." + i, cgroupDirs.get(i).toString());
        }
        a.put(DRIVES, join(driveIds));
        a.put(NICS, join(nicIds));
        return a;
    }

    static FcVmFacts fromAttributes(Map<String, String> a) {
        return new FcVmFacts(Path.of(required(a, API)), Path.of(required(a, LOG)), Path.of(required(a, METRICS)),
                optional(a, VSOCK), optional(a, JAIL_ROOT), optional(a, JAIL_DIR),
                indexed(a, CGROUPS).stream().map(Path::of).toList(),
                split(a.getOrDefault(DRIVES, "")), split(a.getOrDefault(NICS, "")));
    }

    /** Where Firecracker is told to write a snapshot file that kiln wants at {@code target}. */
    Path snapshotForVmm(Path target, String name) {
        return jailRoot.isPresent() ? FcLayout.JAIL_RUN.resolve(name) : target;
    }

    /** The host path of a file Firecracker was told as {@code forVmm}. */
    Path onHost(Path forVmm) {
        return jailRoot.map(root -> root.resolve(forVmm.getRoot().relativize(forVmm))).orElse(forVmm);
    }

    private static String required(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null || v.isEmpty()) {
            throw new VmmException(VmmError.RECOVERY_FAILED, "the VM handle lacks its '" + key + "' attribute",
                    "the handle was not written by the Firecracker driver; kill the VMM by its pid and remove the VM");
        }
        return v;
    }

    private static Optional<Path> optional(Map<String, String> a, String key) {
        return Optional.ofNullable(a.get(key)).filter(v -> !v.isEmpty()).map(Path::of);
    }

    /** Drive and NIC ids are lower-case letters and digits, so a comma separates them. */
    private static String join(List<String> ids) {
        return String.join(",", ids);
    }

    private static List<String> split(String value) {
        return value.isEmpty() ? List.of() : Arrays.asList(value.split(","));
    }

    private static List<String> indexed(Map<String, String> a, String key) {
        List<String> out = new ArrayList<>();
        for (int i = 0; a.containsKey(key + "." + i); i++) {
            out.add(a.get(key + "." + i));
        }
        return out;
    }
}
