package dev.kiln.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Reads what kiln needs from /proc/PID: start time (to tell a reused PID apart), RSS, CPU time, command line. */
public final class ProcStat {
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private ProcStat() {}

    /** Fields after the command name in /proc/PID/stat, or empty when the process is gone. */
    private static Optional<String[]> statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return Optional.of(stat.substring(close + 2).split(" "));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Field 22 (starttime) in clock ticks since boot. */
    public static Optional<Long> startTicks(long pid) {
        return statFields(pid).map(f -> Long.parseLong(f[19]));
    }

    public static Optional<Duration> cpuTime(long pid) {
        return statFields(pid).map(f -> {
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return Duration.ofMillis(ticks * 1000 / CLOCK_TICKS_PER_SECOND);
        });
    }

    /** Zombies count as gone. */
    public static boolean isAlive(long pid) {
        return statFields(pid).map(f -> !f[0].equals("Z") && !f[0].equals("X")).orElse(false);
    }

    public static Optional<Long> rssBytes(long pid) {
        return statusField(pid, "VmRSS:").map(kb -> kb * 1024);
    }

    private static Optional<Long> statusField(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key)) {
                    return Optional.of(Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    public static Optional<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return Optional.of(new String(raw).replace('\0', ' ').trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The last {@code maxLines} lines of a text file, or "" if it cannot be read. */
    public static String tail(Path file, int maxLines) {
        try {
            var lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
