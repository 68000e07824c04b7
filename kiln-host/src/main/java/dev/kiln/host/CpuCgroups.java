package dev.kiln.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CPU limits for VMM processes, with the kernel's CPU controller: each limited VM gets a control group
 * {@code kiln/<vm id>} (cgroup v1: under {@code /sys/fs/cgroup/cpu}; v2: under {@code /sys/fs/cgroup}, with the cpu
 * controller enabled for {@code kiln}), whose quota per 100 ms period is the VM's share of a CPU, and the VMM
 * process (all its threads) is moved into it. A function slot gets the CPU share Lambda gives its memory size.
 * The group is removed with its VM; empty groups left by a crash are removed when the daemon starts.
 */
public final class CpuCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(CpuCgroups.class);
    /** The parent group of kiln's: its name is the label. */
    public static final String PARENT = "kiln";
    static final long PERIOD_US = 100_000;

    private final Path root;
    private final boolean v2;

    CpuCgroups(Path root, boolean v2) {
        this.root = root;
        this.v2 = v2;
    }

    /** The host's CPU controller, when it has one that kiln may write to. */
    public static Optional<CpuCgroups> detect() {
        Path unified = Path.of("/sys/fs/cgroup");
        try {
            Path controllers = unified.resolve("cgroup.controllers");
            if (Files.isRegularFile(controllers) && Files.readString(controllers).contains("cpu")) {
                return Optional.of(new CpuCgroups(unified, true));
            }
        } catch (IOException e) {
            LOG.debug("cgroup v2 not usable: {}", e.getMessage());
        }
        Path v1 = unified.resolve("cpu");
        if (Files.isRegularFile(v1.resolve("cpu.cfs_quota_us")) && Files.isWritable(v1)) {
            return Optional.of(new CpuCgroups(v1, false));
        }
        return Optional.empty();
    }

    /** Where the group of {@code name} is. */
    public Path dir(String name) {
        return root.resolve(PARENT).resolve(name);
    }

    /**
     * Limits process {@code pid} to {@code cpus} CPUs (0.5: half of one CPU's time in every 100 ms period).
     *
     * @throws HostException when the group cannot be made or the process moved into it
     */
    public synchronized void limit(String name, long pid, double cpus) {
        if (!(cpus > 0)) {
            throw new HostException(HostError.INVALID_SPEC, "a CPU share must be above 0, not " + cpus, "");
        }
        long quota = Math.max(1000, Math.round(cpus * PERIOD_US)); // the kernel's floor is 1 ms
        Path dir = dir(name);
        try {
            Path parent = root.resolve(PARENT);
            Files.createDirectories(parent);
            if (v2) {
                enableCpu(root);
                enableCpu(parent);
            }
            Files.createDirectories(dir);
            if (v2) {
                Files.writeString(dir.resolve("cpu.max"), quota + " " + PERIOD_US);
            } else {
                Files.writeString(dir.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
                Files.writeString(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota));
            }
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot limit the CPU of process " + pid + " in " + dir
                    + ": " + e.getMessage(), "check that the cpu cgroup controller is mounted and writable");
        }
    }

    private static void enableCpu(Path group) throws IOException {
        Path control = group.resolve("cgroup.subtree_control");
        if (!Files.readString(control).contains("cpu")) {
            Files.writeString(control, "+cpu");
        }
    }

    /** The group's quota in CPUs, when it exists. */
    public Optional<Double> quota(String name) {
        Path dir = dir(name);
        try {
            if (v2) {
                String[] max = Files.readString(dir.resolve("cpu.max")).trim().split("\\s+");
                return Optional.of(Double.parseDouble(max[0]) / Double.parseDouble(max[1]));
            }
            return Optional.of(Double.parseDouble(Files.readString(dir.resolve("cpu.cfs_quota_us")).trim())
                    / Double.parseDouble(Files.readString(dir.resolve("cpu.cfs_period_us")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The processes in the group (empty when there is none). */
    public List<Long> processes(String name) {
        try {
            return Files.readAllLines(dir(name).resolve("cgroup.procs")).stream().filter(l -> !l.isBlank())
                    .map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** How many periods the group was throttled in (it wanted more than its quota). */
    public long throttledPeriods(String name) {
        try {
            for (String line : Files.readAllLines(dir(name).resolve("cpu.stat"))) {
                if (line.startsWith("nr_throttled ")) {
                    return Long.parseLong(line.substring("nr_throttled ".length()).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("cpu.stat of {}: {}", name, e.getMessage());
        }
        return 0;
    }

    /**
     * Removes the group of {@code name} (its process has ended, or is moved back to the root group first), and
     * kiln's parent group when no other group is left in it.
     */
    public synchronized void remove(String name) {
        Path dir = dir(name);
        if (!Files.isDirectory(dir)) {
            removeParentIfEmpty();
            return;
        }
        for (long pid : processes(name)) { // still alive: back to where kiln's own processes are
            try {
                Files.writeString(root.resolve("cgroup.procs"), Long.toString(pid));
            } catch (IOException e) {
                LOG.debug("moving {} out of {}: {}", pid, dir, e.getMessage());
            }
        }
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                Files.deleteIfExists(dir); // rmdir: a group's files are not files
                removeParentIfEmpty();
                return;
            } catch (IOException e) {
                sleep(); // the ended process leaves the group a moment later
            }
        }
        LOG.warn("cannot remove the cgroup {}", dir);
    }

    private void removeParentIfEmpty() {
        Path parent = root.resolve(PARENT);
        try (Stream<Path> children = Files.list(parent)) {
            if (children.noneMatch(Files::isDirectory)) {
                Files.deleteIfExists(parent);
            }
        } catch (IOException e) {
            LOG.debug("{} stays: {}", parent, e.getMessage()); // absent, or a group of another daemon appeared
        }
    }

    /** Removes kiln's empty groups whose names are not in {@code keep}; returns the names removed. */
    public synchronized List<String> sweep(Set<String> keep) {
        List<String> removed = new ArrayList<>();
        Path parent = root.resolve(PARENT);
        if (!Files.isDirectory(parent)) {
            return removed;
        }
        try (Stream<Path> groups = Files.list(parent)) {
            for (Path g : groups.filter(Files::isDirectory).toList()) {
                String name = g.getFileName().toString();
                if (!keep.contains(name) && processes(name).isEmpty()) {
                    try {
                        Files.deleteIfExists(g);
                        removed.add(name);
                    } catch (IOException e) {
                        LOG.debug("sweep of {}: {}", g, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", parent, e.getMessage());
        }
        removeParentIfEmpty();
        return removed;
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
