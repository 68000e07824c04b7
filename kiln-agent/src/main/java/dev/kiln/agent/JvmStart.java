package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When this JVM started, without the management API (java.management costs start-up time and a jlink module):
 * the kernel's start time of this process ({@code /proc/self/stat}, field 22, in clock ticks since boot) against
 * the time since boot ({@code /proc/uptime}); both have 10 ms resolution. {@code ProcessHandle}'s start instant is
 * no substitute: it adds the boot time, which Linux gives in whole seconds.
 */
final class JvmStart {
    private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux kiln runs on

    private JvmStart() {
    }

    /** How long ago the JVM started, as the kernel saw it; empty when /proc cannot tell. */
    static Optional<Duration> elapsed(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(fields[19]); // field 22 overall; fields[0] is field 3
            double uptimeSeconds = Double.parseDouble(Files.readString(proc.resolve("uptime")).split(" ")[0]);
            long elapsedMillis = Math.round(uptimeSeconds * 1000) - startTicks * 1000 / CLOCK_TICKS_PER_SECOND;
            return Optional.of(Duration.ofMillis(Math.max(0, elapsedMillis)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The JVM's start instant on {@code now}'s clock. */
    static Instant instant(Instant now) {
        return elapsed(Path.of("/proc")).map(now::minus)
                .or(() -> ProcessHandle.current().info().startInstant())
                .orElse(now);
    }
}
