package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.firecracker.JailSpec.CgroupVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How kiln runs Firecracker through its jailer: one chroot per VM under {@code chrootBaseDir}, its own uid and gid,
 * cgroup limits derived from the VM's size, and optionally a network namespace per VM.
 *
 * @param jailer         the {@code jailer} binary (absolute)
 * @param uid            the user Firecracker runs as
 * @param gid            the group Firecracker runs as
 * @param chrootBaseDir  where jails are built ({@code <base>/firecracker/<vm id>/root})
 * @param cgroupVersion  the hierarchy the jailer writes to
 * @param cgroupRoot     where that hierarchy is mounted ({@code /sys/fs/cgroup}), for removing a VM's cgroup
 * @param parentCgroup   the cgroup under which the jailer makes each VM's; empty means the jailer's default, which
 *                       is the exec file's name
 * @param memoryHeadroom with a value, the VM's cgroup may use its guest memory plus this much (Firecracker's own
 *                       memory); empty sets no memory limit
 * @param cpuQuota       limit the VM's cgroup to as many CPUs' time as it has vCPUs
 * @param netnsDir       with a value, each VM joins the network namespace {@code <netnsDir>/<vm id>}, which the host
 *                       layer creates with the VM's tap in it (e.g. {@code /var/run/netns}, as {@code ip netns} does)
 */
public record JailerConfig(Path jailer, int uid, int gid, Path chrootBaseDir, CgroupVersion cgroupVersion,
        Path cgroupRoot, Optional<String> parentCgroup, Optional<ByteSize> memoryHeadroom, boolean cpuQuota,
        Optional<Path> netnsDir) {

    /** The cgroup v2 / v1 period kiln writes with a CPU quota. */
    static final long CPU_PERIOD_US = 100_000;

    public JailerConfig {
        Objects.requireNonNull(jailer, "jailer");
        Objects.requireNonNull(chrootBaseDir, "chrootBaseDir");
        Objects.requireNonNull(cgroupVersion, "cgroupVersion");
        Objects.requireNonNull(cgroupRoot, "cgroupRoot");
        Objects.requireNonNull(parentCgroup, "parentCgroup");
        Objects.requireNonNull(memoryHeadroom, "memoryHeadroom");
        Objects.requireNonNull(netnsDir, "netnsDir");
        if (!jailer.isAbsolute()) {
            throw FcChecks.invalid("jailer binary '" + jailer + "' is not an absolute path",
                    "give its absolute path, e.g. /usr/local/bin/jailer");
        }
        if (uid <= 0 || gid <= 0) {
            throw FcChecks.invalid("jail uid " + uid + " / gid " + gid + " is root or negative",
                    "give an unprivileged user and group for Firecracker, e.g. 10000 and 10000");
        }
    }

    /** The jailer's defaults ({@code /srv/jailer}, cgroup v2), 64 MiB memory headroom, a CPU quota, no namespace. */
    public static JailerConfig of(Path jailer, int uid, int gid) {
        return new JailerConfig(jailer, uid, gid, JailSpec.DEFAULT_CHROOT_BASE_DIR, CgroupVersion.V2,
                Path.of("/sys/fs/cgroup"), Optional.empty(), Optional.of(ByteSize.ofMebibytes(64)), true,
                Optional.empty());
    }

    public JailerConfig withChrootBaseDir(Path dir) {
        return new JailerConfig(jailer, uid, gid, dir, cgroupVersion, cgroupRoot, parentCgroup, memoryHeadroom,
                cpuQuota, netnsDir);
    }

    public JailerConfig withNetnsDir(Path dir) {
        return new JailerConfig(jailer, uid, gid, chrootBaseDir, cgroupVersion, cgroupRoot, parentCgroup,
                memoryHeadroom, cpuQuota, Optional.of(dir));
    }

    public JailerConfig withoutLimits() {
        return new JailerConfig(jailer, uid, gid, chrootBaseDir, cgroupVersion, cgroupRoot, parentCgroup,
                Optional.empty(), false, netnsDir);
    }

    /**
     * The jail of one VM: its id is the VM id (which always meets the jailer's rule), Firecracker's API socket is
     * {@link JailLayout#DEFAULT_API_SOCKET} inside the jail, and the cgroup files carry the limits above. Pure.
     */
    public JailSpec jailFor(Path firecracker, VmSpec spec) {
        JailSpec.Builder b = JailSpec.builder(spec.id().value(), firecracker, uid, gid)
                .chrootBaseDir(chrootBaseDir)
                .cgroupVersion(cgroupVersion)
                .firecrackerArgs("--api-sock", JailLayout.DEFAULT_API_SOCKET.toString());
        parentCgroup.ifPresent(b::parentCgroup);
        netnsDir.ifPresent(dir -> b.netns(dir.resolve(spec.id().value()).toString()));
        memoryHeadroom.ifPresent(headroom -> {
            String bytes = Long.toString(Math.addExact(spec.memory().bytes(), headroom.bytes()));
            b.cgroup(cgroupVersion == CgroupVersion.V2 ? "memory.max" : "memory.limit_in_bytes", bytes);
        });
        if (cpuQuota) {
            long quota = CPU_PERIOD_US * spec.vcpus();
            if (cgroupVersion == CgroupVersion.V2) {
                b.cgroup("cpu.max", quota + " " + CPU_PERIOD_US);
            } else {
                b.cgroup("cpu.cfs_period_us", Long.toString(CPU_PERIOD_US));
                b.cgroup("cpu.cfs_quota_us", Long.toString(quota));
            }
        }
        return b.build();
    }

    /**
     * The cgroup directories the jailer made for a VM, which outlive Firecracker and which kiln removes with the VM:
     * {@code <root>/<parent>/<id>} (v2), {@code <root>/<controller>/<parent>/<id>} for each controller written (v1).
     */
    public List<Path> cgroupDirs(JailSpec jail) {
        String parent = parentCgroup.orElse(jail.execFileName());
        if (cgroupVersion == CgroupVersion.V2) {
            return List.of(cgroupRoot.resolve(parent).resolve(jail.id()));
        }
        return jail.cgroups().keySet().stream()
                .map(file -> file.substring(0, file.indexOf('.')))
                .distinct()
                .map(controller -> cgroupRoot.resolve(controller).resolve(parent).resolve(jail.id()))
                .toList();
    }
}
