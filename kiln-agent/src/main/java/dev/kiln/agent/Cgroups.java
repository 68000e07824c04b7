package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cgroup hierarchies are and how to read a container's resource use from them. Version 2 when
 * {@code /sys/fs/cgroup} itself is cgroup2 (as runc decides; the guest's case); else version 1 with one mount per
 * controller (a hybrid host's case: its extra cgroup2 mount at /sys/fs/cgroup/unified has no controllers).
 */
record Cgroups(int version, Path unifiedRoot, Map<String, Path> controllers) {
    static final Path DEFAULT_ROOT = Path.of("/sys/fs/cgroup");
    /** v1 reports "no limit" as the largest page-aligned long; anything above this is unlimited. */
    private static final long V1_UNLIMITED = 1L << 62;

    /** What one read of a cgroup found. */
    record Usage(long memoryCurrent, Optional<Long> memoryMax, Optional<Long> memoryPeak, long oomKills,
                 long cpuUsageUsec, long pidsCurrent) {
    }

    static Cgroups detect() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return new Cgroups(0, DEFAULT_ROOT, Map.of());
        }
    }

    /** Reads the layout from the text of {@code /proc/self/mountinfo}. */
    static Cgroups parse(String mountinfo) {
        Map<String, Path> v1 = new HashMap<>();
        boolean unified = false;
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] left = line.substring(0, dash).split(" ");
            String[] right = line.substring(dash + 3).split(" ");
            if (left.length < 5 || right.length < 3) {
                continue;
            }
            Path mountPoint = Path.of(left[4]);
            if (right[0].equals("cgroup2") && mountPoint.equals(DEFAULT_ROOT)) {
                unified = true;
            } else if (right[0].equals("cgroup")) {
                for (String option : right[2].split(",")) {
                    if (option.equals("memory") || option.equals("cpuacct") || option.equals("pids")
                            || option.equals("cpu")) {
                        v1.putIfAbsent(option, mountPoint);
                    }
                }
            }
        }
        if (unified) {
            return new Cgroups(2, DEFAULT_ROOT, Map.of());
        }
        return new Cgroups(v1.isEmpty() ? 0 : 1, DEFAULT_ROOT, Map.copyOf(v1));
    }

    /** The directories of a cgroup path (e.g. {@code /kiln/abc}) in every hierarchy that has it. */
    Map<String, Path> directories(String cgroupPath) {
        String rel = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
        if (version == 2) {
            return Map.of("unified", unifiedRoot.resolve(rel));
        }
        Map<String, Path> dirs = new HashMap<>();
        controllers.forEach((name, root) -> dirs.put(name, root.resolve(rel)));
        return dirs;
    }

    /** The resource use of a cgroup; zeros and empties for files that are missing. */
    Usage read(String cgroupPath) {
        if (version == 2) {
            Path dir = unifiedRoot.resolve(cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath);
            return new Usage(
                    number(dir.resolve("memory.current")).orElse(0L),
                    number(dir.resolve("memory.max")),
                    number(dir.resolve("memory.peak")),
                    keyed(dir.resolve("memory.events"), "oom_kill").orElse(0L),
                    keyed(dir.resolve("cpu.stat"), "usage_usec").orElse(0L),
                    number(dir.resolve("pids.current")).orElse(0L));
        }
        Map<String, Path> dirs = directories(cgroupPath);
        Path memory = dirs.getOrDefault("memory", Path.of("/nonexistent"));
        Path cpuacct = dirs.getOrDefault("cpuacct", Path.of("/nonexistent"));
        Path pids = dirs.getOrDefault("pids", Path.of("/nonexistent"));
        return new Usage(
                number(memory.resolve("memory.usage_in_bytes")).orElse(0L),
                number(memory.resolve("memory.limit_in_bytes")).filter(n -> n < V1_UNLIMITED),
                number(memory.resolve("memory.max_usage_in_bytes")),
                keyed(memory.resolve("memory.oom_control"), "oom_kill").orElse(0L),
                number(cpuacct.resolve("cpuacct.usage")).map(ns -> ns / 1000).orElse(0L),
                number(pids.resolve("pids.current")).orElse(0L));
    }

    /** OOM kills recorded in a cgroup so far. */
    long oomKills(String cgroupPath) {
        return read(cgroupPath).oomKills();
    }

    /** A file holding one number; empty when absent, unreadable or "max". */
    private static Optional<Long> number(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.equals("max") ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The number after {@code key} in a flat-keyed file ({@code key value} per line). */
    private static Optional<Long> keyed(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2 && f[0].equals(key)) {
                    return Optional.of(Long.parseLong(f[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
