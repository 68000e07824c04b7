package dev.kiln.vmm.firecracker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything Firecracker's jailer is told about one VM. The rules checked here are the ones the jailer documents
 * ({@code docs/jailer.md} in firecracker-microvm/firecracker, as of v1.16.1); a spec that passes them is turned into
 * arguments by {@link JailerCommandLine} and into host paths by {@link JailLayout}.
 *
 * <p>Build one with {@link #builder(String, Path, int, int)}; maps and lists are copied in their given order.
 *
 * @param id the VM's jail id: 1 to 64 ASCII letters, digits and hyphens
 * @param execFile the Firecracker binary the jailer copies into the jail and execs
 * @param uid the user the jailer drops to, at least 0
 * @param gid the group the jailer drops to, at least 0
 * @param chrootBaseDir where jails are built, {@code /srv/jailer} unless set
 * @param netnsPath a network namespace handle to join, e.g. {@code /var/run/netns/kiln-1}
 * @param cgroupVersion the cgroup hierarchy the jailer writes to
 * @param cgroups {@code <controller>.<file>} to value, e.g. {@code memory.max} to {@code 536870912}
 * @param parentCgroup a path relative to the cgroup root under which the jailer makes the VM's cgroup
 * @param resourceLimits {@code fsize} or {@code no-file} to a limit, set by the jailer with {@code setrlimit}
 * @param newPidNs whether the jailer clones Firecracker into a new PID namespace
 * @param daemonize whether the jailer detaches ({@code setsid}, standard I/O to {@code /dev/null})
 * @param firecrackerArgs Firecracker's own arguments, passed after {@code --}; paths in them are inside the jail
 */
public record JailSpec(
        String id,
        Path execFile,
        int uid,
        int gid,
        Path chrootBaseDir,
        Optional<String> netnsPath,
        CgroupVersion cgroupVersion,
        Map<String, String> cgroups,
        Optional<String> parentCgroup,
        Map<String, Long> resourceLimits,
        boolean newPidNs,
        boolean daemonize,
        List<String> firecrackerArgs) {

    /** The jailer's default chroot base. */
    public static final Path DEFAULT_CHROOT_BASE_DIR = Path.of("/srv/jailer");
    /** The jail id rule the jailer documents: alphanumerics and hyphens, at most 64 characters. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    /** A cgroup file name: {@code <controller>.<name>}, e.g. {@code cpu.max}, {@code cpuset.cpus}. */
    static final Pattern CGROUP_FILE = Pattern.compile("[a-z][a-z0-9_]*\\.[a-z0-9_][a-z0-9_.]*");
    /** The only resources the jailer's {@code --resource-limit} documents. */
    static final List<String> RESOURCES = List.of("fsize", "no-file");

    /** The cgroup hierarchy the jailer uses ({@code --cgroup-version 1} or {@code 2}); the jailer's default is 1. */
    public enum CgroupVersion {
        V1("1"),
        V2("2");

        private final String wire;

        CgroupVersion(String wire) {
            this.wire = wire;
        }

        /** The value of {@code --cgroup-version}. */
        public String wire() {
            return wire;
        }
    }

    public JailSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(execFile, "execFile");
        Objects.requireNonNull(chrootBaseDir, "chrootBaseDir");
        Objects.requireNonNull(netnsPath, "netnsPath");
        Objects.requireNonNull(cgroupVersion, "cgroupVersion");
        Objects.requireNonNull(parentCgroup, "parentCgroup");
        cgroups = copyOrdered(Objects.requireNonNull(cgroups, "cgroups"));
        resourceLimits = copyOrdered(Objects.requireNonNull(resourceLimits, "resourceLimits"));
        firecrackerArgs = List.copyOf(Objects.requireNonNull(firecrackerArgs, "firecrackerArgs"));

        if (!ID.matcher(id).matches()) {
            throw FcChecks.invalid("jail id '" + id + "' is not valid for the jailer",
                    "use 1 to 64 ASCII letters, digits or hyphens, e.g. kiln-vm-7f3a");
        }
        if (execFile.getFileName() == null || execFile.toString().isEmpty()) {
            throw FcChecks.invalid("exec file '" + execFile + "' names no file",
                    "give the path of the Firecracker binary, e.g. /usr/local/bin/firecracker");
        }
        if (!execFile.isAbsolute()) {
            throw FcChecks.invalid("exec file '" + execFile + "' is not an absolute path",
                    "give the absolute path of the Firecracker binary, e.g. /usr/local/bin/firecracker");
        }
        if (uid < 0 || gid < 0) {
            throw FcChecks.invalid("uid " + uid + " / gid " + gid + " is negative",
                    "give the unprivileged user and group Firecracker runs as, e.g. 10000 and 10000");
        }
        if (!chrootBaseDir.isAbsolute()) {
            throw FcChecks.invalid("chroot base dir '" + chrootBaseDir + "' is not an absolute path",
                    "use an absolute directory, e.g. " + DEFAULT_CHROOT_BASE_DIR);
        }
        netnsPath.ifPresent(ns -> {
            if (!Path.of(ns).isAbsolute()) {
                throw FcChecks.invalid("network namespace '" + ns + "' is not an absolute path",
                        "give the namespace handle's path, e.g. /var/run/netns/kiln-1");
            }
        });
        cgroups.forEach((file, value) -> {
            if (!CGROUP_FILE.matcher(file).matches()) {
                throw FcChecks.invalid("cgroup file '" + file + "' is not of the form <controller>.<name>",
                        cgroupVersion == CgroupVersion.V2
                                ? "use a cgroup v2 file name, e.g. memory.max or cpu.max"
                                : "use a cgroup v1 file name, e.g. cpuset.cpus or cpu.shares");
            }
            if (value == null || value.isBlank() || value.contains("\n") || value.contains("\0")) {
                throw FcChecks.invalid("cgroup value for " + file + " is empty or spans lines",
                        "give the single-line value to write, e.g. 536870912 for memory.max");
            }
        });
        parentCgroup.ifPresent(parent -> {
            Path p = Path.of(parent);
            boolean climbs = false;
            for (Path part : p) {
                climbs |= part.toString().equals("..");
            }
            if (parent.isBlank() || p.isAbsolute() || climbs) {
                throw FcChecks.invalid("parent cgroup '" + parent + "' is not a relative path inside the hierarchy",
                        "give a relative path without '..', e.g. kiln.slice or kiln/vms");
            }
        });
        resourceLimits.forEach((resource, limit) -> {
            if (!RESOURCES.contains(resource)) {
                throw FcChecks.invalid("resource limit '" + resource + "' is not one the jailer knows",
                        "use one of " + RESOURCES + ", e.g. no-file=1024");
            }
            if (limit == null || limit < 0) {
                throw FcChecks.invalid("resource limit " + resource + "=" + limit + " is not a non-negative number",
                        "give a count, e.g. no-file=1024 or fsize=250000000");
            }
        });
        for (String arg : firecrackerArgs) {
            Objects.requireNonNull(arg, "firecrackerArgs element");
            if (arg.equals("--id") || arg.startsWith("--id=")) {
                throw FcChecks.invalid("Firecracker argument --id is set by the jailer itself",
                        "leave --id out of the Firecracker arguments; the jail id is passed on");
            }
        }
    }

    /** A spec with the jailer's defaults: {@code /srv/jailer}, cgroup v1, nothing else set. */
    public static Builder builder(String id, Path execFile, int uid, int gid) {
        return new Builder(id, execFile, uid, gid);
    }

    /** The last path component of the exec file; the jailer names the jail's middle directory after it. */
    public String execFileName() {
        return execFile.getFileName().toString();
    }

    /** Builds a {@link JailSpec}; every setter replaces the earlier value. */
    public static final class Builder {
        private final String id;
        private final Path execFile;
        private final int uid;
        private final int gid;
        private Path chrootBaseDir = DEFAULT_CHROOT_BASE_DIR;
        private Optional<String> netnsPath = Optional.empty();
        private CgroupVersion cgroupVersion = CgroupVersion.V1;
        private final Map<String, String> cgroups = new LinkedHashMap<>();
        private Optional<String> parentCgroup = Optional.empty();
        private final Map<String, Long> resourceLimits = new LinkedHashMap<>();
        private boolean newPidNs;
        private boolean daemonize;
        private final List<String> firecrackerArgs = new ArrayList<>();

        private Builder(String id, Path execFile, int uid, int gid) {
            this.id = id;
            this.execFile = execFile;
            this.uid = uid;
            this.gid = gid;
        }

        public Builder chrootBaseDir(Path dir) {
            this.chrootBaseDir = dir;
            return this;
        }

        public Builder netns(String path) {
            this.netnsPath = Optional.of(path);
            return this;
        }

        public Builder cgroupVersion(CgroupVersion version) {
            this.cgroupVersion = version;
            return this;
        }

        public Builder cgroup(String file, String value) {
            cgroups.put(file, value);
            return this;
        }

        public Builder parentCgroup(String path) {
            this.parentCgroup = Optional.of(path);
            return this;
        }

        public Builder resourceLimit(String resource, long limit) {
            resourceLimits.put(resource, limit);
            return this;
        }

        public Builder newPidNs(boolean on) {
            this.newPidNs = on;
            return this;
        }

        public Builder daemonize(boolean on) {
            this.daemonize = on;
            return this;
        }

        /** Appends Firecracker arguments (after the jailer's {@code --}). */
        public Builder firecrackerArgs(String... args) {
            firecrackerArgs.addAll(List.of(args));
            return this;
        }

        public JailSpec build() {
            return new JailSpec(id, execFile, uid, gid, chrootBaseDir, netnsPath, cgroupVersion, cgroups,
                    parentCgroup, resourceLimits, newPidNs, daemonize, firecrackerArgs);
        }
    }

    /** An order-keeping, unmodifiable copy: {@code Map.copyOf} would lose the caller's order, which shows in the argv. */
    private static <V> Map<String, V> copyOrdered(Map<String, V> in) {
        Map<String, V> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(Objects.requireNonNull(k, "key"), v));
        return Collections.unmodifiableMap(out);
    }
}
