package dev.kiln.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control groups that hold one VMM process each, with its memory, process-count and CPU limits: group
 * {@code kiln/<vm id>} under each controller (cgroup v1: {@code /sys/fs/cgroup/{memory,pids,cpu}}; v2: one group
 * under {@code /sys/fs/cgroup} with those controllers enabled for {@code kiln}). The parent's name is kiln's label.
 * <p>
 * A VMM joins its groups before it runs a single instruction of its own: {@link #procsFiles} are written by the
 * shell that then {@code exec}s the VMM (see {@code QemuJail}). {@link #remove} deletes the groups once the process
 * has ended; the parent stays (another VM may be joining it at that moment).
 * <p>
 * CPU weight: a VMM's group weighs as much as one process per vCPU ({@code cpu.shares} 1,024 each in v1,
 * {@code cpu.weight} 100 in v2), and the parent always weighs as much as all its groups together. An unjailed VMM,
 * started in a session of its own, weighs as one process under the kernel's autogroup scheduling (one per vCPU
 * without it); jailed, every VM's group sat in the parent, which weighed as one process for all of them, so on a busy
 * host kiln's VMs together competed like a single process against every other one ({@code kiln bench isolation}).
 */
public final class VmCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(VmCgroups.class);
    /** The parent group of kiln's VMM groups; the name is the label. */
    public static final String PARENT = "kiln";
    static final long PERIOD_US = 100_000;
    /** The kernel's default weight of one process (v1 {@code cpu.shares}) and its highest value. */
    static final long V1_SHARES = 1024;
    static final long V1_MAX_SHARES = 262_144;
    /** The default and the highest {@code cpu.weight} of cgroup v2. */
    static final long V2_WEIGHT = 100;
    static final long V2_MAX_WEIGHT = 10_000;
    private static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu");

    private final Path root;
    private final boolean v2;

    VmCgroups(Path root, boolean v2) {
        this.root = root;
        this.v2 = v2;
    }

    /**
     * The limits of one VMM's groups: memory, processes (threads count), CPU time (CPUs' worth per period), and its
     * CPU weight against other processes in units of one process's (its vCPUs).
     */
    public record Limits(long memoryBytes, int pids, double cpus, int weight) {
        public Limits {
            if (memoryBytes <= 0 || pids <= 0 || !(cpus > 0) || weight <= 0) {
                throw new IllegalArgumentException("limits must be positive: " + memoryBytes + " B, " + pids
                        + " pids, " + cpus + " CPUs, weight " + weight);
            }
        }
    }

    /** The host's memory, pids and cpu controllers, when kiln may write to all three. */
    public static Optional<VmCgroups> detect() {
        return detect(Path.of("/sys/fs/cgroup"));
    }

    static Optional<VmCgroups> detect(Path fs) {
        try {
            Path controllers = fs.resolve("cgroup.controllers");
            if (Files.isRegularFile(controllers)) {
                List<String> have = List.of(Files.readString(controllers).trim().split("\\s+"));
                return have.containsAll(V1_CONTROLLERS) && Files.isWritable(fs)
                        ? Optional.of(new VmCgroups(fs, true)) : Optional.empty();
            }
        } catch (IOException e) {
            LOG.debug("cgroup v2 not usable: {}", e.getMessage());
        }
        boolean all = V1_CONTROLLERS.stream().map(fs::resolve)
                .allMatch(dir -> Files.isRegularFile(dir.resolve("cgroup.procs")) && Files.isWritable(dir));
        return all ? Optional.of(new VmCgroups(fs, false)) : Optional.empty();
    }

    public boolean isV2() {
        return v2;
    }

    /** The group directories of {@code name}, one per controller (v1) or one (v2). */
    public List<Path> dirs(String name) {
        if (v2) {
            return List.of(root.resolve(PARENT).resolve(name));
        }
        return V1_CONTROLLERS.stream().map(c -> root.resolve(c).resolve(PARENT).resolve(name)).toList();
    }

    /** The {@code cgroup.procs} files a process writes its pid to, to join every group of {@code name}. */
    public List<Path> procsFiles(String name) {
        return dirs(name).stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * Creates the groups of {@code name} with {@code limits}.
     *
     * @throws VmmException VMM_START_FAILED when a group cannot be made (nothing is left behind)
     */
    public synchronized void create(String name, Limits limits) {
        try {
            if (v2) {
                enable(root);
                enable(root.resolve(PARENT));
            }
            for (Path dir : dirs(name)) {
                mkdirs(dir);
            }
            long quota = Math.max(1000, Math.round(limits.cpus() * PERIOD_US));
            if (v2) {
                Path dir = dirs(name).getFirst();
                Files.writeString(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
                Files.writeString(dir.resolve("memory.swap.max"), "0");
                Files.writeString(dir.resolve("pids.max"), Integer.toString(limits.pids()));
                Files.writeString(dir.resolve("cpu.max"), quota + " " + PERIOD_US);
                Files.writeString(dir.resolve("cpu.weight"),
                        Long.toString(Math.min(V2_MAX_WEIGHT, V2_WEIGHT * limits.weight())));
            } else {
                List<Path> d = dirs(name);
                Files.writeString(d.get(0).resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                Files.writeString(d.get(1).resolve("pids.max"), Integer.toString(limits.pids()));
                Files.writeString(d.get(2).resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
                Files.writeString(d.get(2).resolve("cpu.cfs_quota_us"), Long.toString(quota));
                Files.writeString(d.get(2).resolve("cpu.shares"),
                        Long.toString(Math.min(V1_MAX_SHARES, V1_SHARES * limits.weight())));
            }
            balanceParent();
        } catch (IOException e) {
            remove(name);
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot create the cgroups of VM " + name + ": "
                    + e.getMessage(), "check that the memory, pids and cpu cgroup controllers are mounted and "
                    + "writable, or run with KILN_VMM_JAIL=off (debugging only)", e);
        }
    }

    /** What a group's limits read back as (for tests and {@code kiln vm inspect}). */
    public Optional<Limits> read(String name) {
        try {
            List<Path> d = dirs(name);
            if (v2) {
                Path dir = d.getFirst();
                String[] cpu = Files.readString(dir.resolve("cpu.max")).trim().split("\\s+");
                return Optional.of(new Limits(Long.parseLong(Files.readString(dir.resolve("memory.max")).trim()),
                        Integer.parseInt(Files.readString(dir.resolve("pids.max")).trim()),
                        Double.parseDouble(cpu[0]) / Double.parseDouble(cpu[1]),
                        (int) (readLong(dir.resolve("cpu.weight")) / V2_WEIGHT)));
            }
            return Optional.of(new Limits(readLong(d.get(0).resolve("memory.limit_in_bytes")),
                    Integer.parseInt(Files.readString(d.get(1).resolve("pids.max")).trim()),
                    Double.parseDouble(Files.readString(d.get(2).resolve("cpu.cfs_quota_us")).trim())
                            / Double.parseDouble(Files.readString(d.get(2).resolve("cpu.cfs_period_us")).trim()),
                    (int) (readLong(d.get(2).resolve("cpu.shares")) / V1_SHARES)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The pids in the groups of {@code name} (empty when there are none). */
    public List<Long> processes(String name) {
        List<Long> pids = new ArrayList<>();
        for (Path procs : procsFiles(name)) {
            try {
                Files.readAllLines(procs).stream().filter(l -> !l.isBlank()).map(Long::parseLong)
                        .filter(p -> !pids.contains(p)).forEach(pids::add);
            } catch (IOException e) {
                LOG.trace("{}: {}", procs, e.getMessage());
            }
        }
        return pids;
    }

    /**
     * Sets the parent's CPU weight to the sum of its groups' (the kernel's default when it has none), so that kiln's
     * VMs together weigh against the host's other processes as much as they did as processes of their own. Read
     * from the groups themselves, so it is right after any change, whoever made it.
     */
    public synchronized void balanceParent() {
        Path parent = v2 ? root.resolve(PARENT) : root.resolve("cpu").resolve(PARENT);
        if (!Files.isDirectory(parent)) return;
        String file = v2 ? "cpu.weight" : "cpu.shares";
        long unit = v2 ? V2_WEIGHT : V1_SHARES;
        long sum = 0;
        try (var groups = Files.list(parent)) {
            for (Path g : groups.filter(Files::isDirectory).toList()) {
                try {
                    sum += readLong(g.resolve(file));
                } catch (IOException | NumberFormatException e) {
                    LOG.trace("{}: {}", g, e.getMessage()); // removed meanwhile, or not one of kiln's VMMs
                }
            }
            long weight = Math.max(unit, Math.min(v2 ? V2_MAX_WEIGHT : V1_MAX_SHARES, sum));
            Files.writeString(parent.resolve(file), Long.toString(weight));
        } catch (IOException e) {
            LOG.warn("cannot set the CPU weight of {}: {}", parent, e.getMessage());
        }
    }

    private static long readLong(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    /** Removes the groups of {@code name}; their process has ended (an ended process leaves a moment later). */
    public synchronized void remove(String name) {
        for (Path dir : dirs(name)) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(dir); // rmdir: a group's files are not files
                    break;
                } catch (IOException e) {
                    if (attempt >= 100) {
                        LOG.warn("cannot remove the cgroup {}: {}", dir, e.getMessage());
                        break;
                    }
                    sleep();
                }
            }
        }
        balanceParent();
    }

    /**
     * Removes kiln's groups that hold no process and belong to no VM in {@code keep} (left by a crash); returns
     * their names.
     */
    public List<String> sweep(java.util.Set<String> keep) {
        java.util.Set<String> removed = new java.util.TreeSet<>();
        List<Path> parents = v2 ? List.of(root.resolve(PARENT))
                : V1_CONTROLLERS.stream().map(c -> root.resolve(c).resolve(PARENT)).toList();
        for (Path parent : parents) {
            if (!Files.isDirectory(parent)) continue;
            try (var groups = Files.list(parent)) {
                for (Path g : groups.filter(Files::isDirectory).toList()) {
                    String name = g.getFileName().toString();
                    if (keep.contains(name)) continue;
                    try {
                        if (Files.readString(g.resolve("cgroup.procs")).isBlank()) {
                            Files.deleteIfExists(g);
                            removed.add(name);
                        }
                    } catch (IOException e) {
                        LOG.debug("sweep of {}: {}", g, e.getMessage());
                    }
                }
            } catch (IOException e) {
                LOG.warn("cannot list {}: {}", parent, e.getMessage());
            }
        }
        balanceParent();
        return List.copyOf(removed);
    }

    /** mkdir -p that copes with the parent being removed at the same moment (by a cleanup of an empty parent). */
    private static void mkdirs(Path dir) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                Files.createDirectories(dir);
                return;
            } catch (NoSuchFileException e) {
                if (attempt >= 5) throw e;
            }
        }
    }

    private static void enable(Path group) throws IOException {
        Path control = group.resolve("cgroup.subtree_control");
        Files.createDirectories(group);
        String have = Files.readString(control);
        for (String c : V1_CONTROLLERS) {
            if (!have.contains(c)) {
                Files.writeString(control, "+" + c);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
