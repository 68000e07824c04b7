package dev.kiln.vmm.firecracker;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.vmm.VmStats.DriveStats;
import dev.kiln.vmm.VmStats.NicStats;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One flush of Firecracker's metrics: one JSON object per line, written at each periodic flush and at each
 * {@code FlushMetrics} action. Counters are what happened since the previous flush (Firecracker writes each counter's
 * difference and resets its mark), so totals are sums over lines; {@link MetricsFeed} sums them.
 *
 * <p>kiln reads the per-device objects: {@code "block_<drive id>"} ({@code read_bytes}, {@code write_bytes},
 * {@code read_count}, {@code write_count}) and {@code "net_<iface id>"} ({@code rx_bytes_count},
 * {@code tx_bytes_count}, {@code rx_packets_count}, {@code tx_packets_count}). Every other field, and a missing or
 * malformed counter, is ignored: the format grows between releases. A line that is not one JSON object is rejected.
 */
record MetricsLine(Map<String, DriveStats> drives, Map<String, NicStats> nics) {
    /** Strict about the line being exactly one value: {@code {} trailing} is not a metrics line. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    static final String BLOCK_PREFIX = "block_";
    static final String NET_PREFIX = "net_";

    MetricsLine {
        drives = Map.copyOf(drives);
        nics = Map.copyOf(nics);
    }

    /** The line's counters, or empty when it is not a JSON object. Never throws. */
    static Optional<MetricsLine> parse(String line) {
        JsonNode root;
        try {
            root = JSON.readTree(line);
        } catch (JacksonException | RuntimeException e) {
            return Optional.empty();
        }
        if (root == null || !root.isObject()) {
            return Optional.empty();
        }
        Map<String, DriveStats> drives = new LinkedHashMap<>();
        Map<String, NicStats> nics = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (!v.isObject()) {
                continue;
            }
            if (key.startsWith(BLOCK_PREFIX) && isId(key.substring(BLOCK_PREFIX.length()))) {
                drives.put(key.substring(BLOCK_PREFIX.length()), new DriveStats(counter(v, "read_bytes"),
                        counter(v, "write_bytes"), counter(v, "read_count"), counter(v, "write_count")));
            } else if (key.startsWith(NET_PREFIX) && isId(key.substring(NET_PREFIX.length()))) {
                nics.put(key.substring(NET_PREFIX.length()), new NicStats(counter(v, "rx_bytes_count"),
                        counter(v, "tx_bytes_count"), counter(v, "rx_packets_count"), counter(v, "tx_packets_count")));
            }
        }
        return Optional.of(new MetricsLine(drives, nics));
    }

    /** Device ids as Firecracker allows them; anything else is not a device of kiln's. */
    private static boolean isId(String id) {
        return FcChecks.ID.matcher(id).matches();
    }

    /** A non-negative integer that fits a long, else 0. */
    private static long counter(JsonNode parent, String field) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            return 0;
        }
        return Math.max(0, v.longValue());
    }
}
