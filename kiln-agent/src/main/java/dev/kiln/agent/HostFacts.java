package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Facts about the VM from /proc: kernel release, memory, CPUs, uptime. The root is a parameter for tests. */
record HostFacts(Path proc) {
    static HostFacts system() {
        return new HostFacts(Path.of("/proc"));
    }

    String kernel() {
        return read("sys/kernel/osrelease").map(String::strip).orElse("unknown");
    }

    long memTotalBytes() {
        return meminfo("MemTotal").orElse(0L);
    }

    long memAvailableBytes() {
        return meminfo("MemAvailable").orElse(0L);
    }

    int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    Duration uptime() {
        return read("uptime").map(t -> t.strip().split("\\s+")[0])
                .map(s -> Duration.ofMillis((long) (Double.parseDouble(s) * 1000)))
                .orElse(Duration.ZERO);
    }

    /** A line of /proc/meminfo, in bytes ({@code MemTotal:  1024 kB}). */
    private Optional<Long> meminfo(String key) {
        return read("meminfo").flatMap(text -> text.lines()
                .filter(l -> l.startsWith(key + ":"))
                .map(l -> l.substring(key.length() + 1).strip().split("\\s+"))
                .map(f -> Long.parseLong(f[0]) * (f.length > 1 && f[1].equals("kB") ? 1024 : 1))
                .findFirst());
    }

    private Optional<String> read(String name) {
        try {
            return Optional.of(Files.readString(proc.resolve(name)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
