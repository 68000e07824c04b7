package dev.kiln.cluster.sched;

import java.util.Map;
import java.util.stream.Collectors;

/** Formats CPU and memory amounts the way Kubernetes quantities read: {@code 500m}, {@code 2}, {@code 512Mi}. */
final class Quantities {
    private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final String[] DECIMAL = {"k", "M", "G", "T", "P", "E"};

    private Quantities() {}

    /** Whole cores without a suffix ({@code 2}), otherwise millicores ({@code 1500m}). */
    static String cpu(long millis) {
        if (millis < 0) {
            return millis == Long.MIN_VALUE ? millis + "m" : "-" + cpu(-millis);
        }
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }

    /**
     * The largest binary ({@code Mi}) or else decimal ({@code M}) unit that divides the amount exactly, or plain
     * bytes; exact, so that "needs" and "free" never round to the same text.
     */
    static String memory(long bytes) {
        if (bytes < 0) {
            return bytes == Long.MIN_VALUE ? Long.toString(bytes) : "-" + memory(-bytes);
        }
        if (bytes == 0) {
            return "0";
        }
        String binary = exact(bytes, 1024, BINARY);
        String decimal = exact(bytes, 1000, DECIMAL);
        if (binary.isEmpty() && decimal.isEmpty()) {
            return Long.toString(bytes);
        }
        return binary.length() > 0 && (decimal.isEmpty() || binary.length() <= decimal.length()) ? binary : decimal;
    }

    private static String exact(long bytes, long base, String[] units) {
        long value = bytes;
        int unit = -1;
        while (value % base == 0 && unit + 1 < units.length) {
            value /= base;
            unit++;
        }
        return unit < 0 ? "" : value + units[unit];
    }

    /** {@code cpu 500m, memory 512Mi}. */
    static String both(Capacity capacity) {
        return "cpu " + cpu(capacity.cpuMillis()) + ", memory " + memory(capacity.memoryBytes());
    }

    /** {@code disktype=ssd,zone=a}, keys in order; empty for an empty selector. */
    static String selector(Map<String, String> selector) {
        return selector.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .sorted()
                .collect(Collectors.joining(","));
    }
}
