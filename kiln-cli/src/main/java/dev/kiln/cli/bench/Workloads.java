package dev.kiln.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The FunctionBench workloads kiln runs (the handlers are in {@code examples/functionbench/<name>/handler.py}): each
 * one's event at the three input sizes SeBS uses (test, small, large) and the check of its output. Every handler
 * returns {@code latency_s}, the time of its own computation, beside its result fields.
 */
public final class Workloads {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The input sizes: test (seconds under emulation), small, large. */
    public enum Size { TEST, SMALL, LARGE }

    /** What a handler needs beyond Python's standard library (Debian package names). */
    public record Workload(String name, List<String> packages, Map<Size, String> events, Check check) {
        public ObjectNode event(Size size) {
            try {
                return (ObjectNode) JSON.readTree(events.get(size));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The check of one output: the problems found, none when it is right. */
    @FunctionalInterface
    public interface Check {
        List<String> problems(JsonNode event, JsonNode result);
    }

    private Workloads() {
    }

    public static List<Workload> all() {
        return List.of(
                new Workload("float_operation", List.of(), sizes("{\"n\": 10000}", "{\"n\": 1000000}",
                        "{\"n\": 10000000}"), (e, r) -> {
                    List<String> p = common(r);
                    double expected = 0;
                    for (int i = 0; i < e.path("n").asInt(); i++) {
                        expected += Math.sin(i) + Math.cos(i) + Math.sqrt(i);
                    }
                    close(p, "sum", r.path("sum").asDouble(), expected, 1e-9);
                    return p;
                }),
                new Workload("matmul", List.of("python3-numpy"), sizes("{\"n\": 100}", "{\"n\": 500}",
                        "{\"n\": 2000}"), (e, r) -> {
                    List<String> p = common(r);
                    close(p, "trace", r.path("trace").asDouble(), r.path("expected_trace").asDouble(), 1e-9);
                    return p;
                }),
                new Workload("linpack", List.of("python3-numpy"), sizes("{\"n\": 100}", "{\"n\": 500}",
                        "{\"n\": 2000}"), (e, r) -> {
                    List<String> p = common(r);
                    if (!(r.path("residual").asDouble(1) < 1e-9)) {
                        p.add("residual |Ax - b| / |b| is " + r.path("residual").asDouble() + ", not below 1e-9");
                    }
                    if (!(r.path("mflops").asDouble() > 0)) {
                        p.add("no MFLOPS");
                    }
                    return p;
                }),
                new Workload("json_serdes", List.of(), sizes("{\"entries\": 100}", "{\"entries\": 10000}",
                        "{\"entries\": 100000}"), (e, r) -> {
                    List<String> p = common(r);
                    equal(p, "entries", r.path("entries").asLong(), e.path("entries").asLong());
                    if (r.path("output_bytes").asLong() <= r.path("input_bytes").asLong()) {
                        p.add("the indented output is not longer than the input");
                    }
                    return p;
                }),
                new Workload("dd", List.of(), sizes("{\"bs\": \"64k\", \"count\": 16}",
                        "{\"bs\": \"1M\", \"count\": 64}", "{\"bs\": \"1M\", \"count\": 512}"), (e, r) -> {
                    List<String> p = common(r);
                    equal(p, "exit", r.path("exit").asLong(), 0);
                    equal(p, "bytes", r.path("bytes").asLong(), bytes(e.path("bs").asText()) * e.path("count").asLong());
                    if (!r.path("dd").asText().contains("copied")) {
                        p.add("dd's throughput line is missing: " + r.path("dd").asText());
                    }
                    return p;
                }),
                new Workload("gzip_compression", List.of(), sizes("{\"file_size\": 1}", "{\"file_size\": 16}",
                        "{\"file_size\": 128}"), (e, r) -> {
                    List<String> p = common(r);
                    equal(p, "bytes", r.path("bytes").asLong(), e.path("file_size").asLong() << 20);
                    if (r.path("gzip_bytes").asLong() < r.path("bytes").asLong() * 9 / 10) {
                        p.add("random bytes compressed to " + r.path("gzip_bytes").asLong() + ": not random, or not gzip");
                    }
                    return p;
                }),
                new Workload("sequential_disk_io", List.of(), sizes("{\"file_size\": 1, \"byte_size\": 65536}",
                        "{\"file_size\": 64, \"byte_size\": 65536}", "{\"file_size\": 512, \"byte_size\": 1048576}"),
                        Workloads::diskIo),
                new Workload("random_disk_io", List.of(), sizes("{\"file_size\": 1, \"byte_size\": 65536}",
                        "{\"file_size\": 64, \"byte_size\": 65536}", "{\"file_size\": 512, \"byte_size\": 1048576}"),
                        Workloads::diskIo));
    }

    public static Optional<Workload> named(String name) {
        return all().stream().filter(w -> w.name().equals(name)).findFirst();
    }

    private static List<String> diskIo(JsonNode e, JsonNode r) {
        List<String> p = common(r);
        long size = (e.path("file_size").asLong() << 20) / e.path("byte_size").asLong() * e.path("byte_size").asLong();
        equal(p, "written", r.path("written").asLong(), size);
        equal(p, "read", r.path("read").asLong(), size);
        return p;
    }

    private static Map<Size, String> sizes(String test, String small, String large) {
        return Map.of(Size.TEST, test, Size.SMALL, small, Size.LARGE, large);
    }

    private static List<String> common(JsonNode r) {
        List<String> p = new ArrayList<>();
        if (!(r.path("latency_s").asDouble(-1) > 0)) {
            p.add("latency_s is missing or not above 0");
        }
        return p;
    }

    private static void equal(List<String> p, String field, long actual, long expected) {
        if (actual != expected) {
            p.add(field + " is " + actual + ", not " + expected);
        }
    }

    private static void close(List<String> p, String field, double actual, double expected, double relative) {
        if (!(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)))) {
            p.add(field + " is " + actual + ", not " + expected);
        }
    }

    static long bytes(String ddSize) {
        char unit = Character.toLowerCase(ddSize.charAt(ddSize.length() - 1));
        long n = Long.parseLong(Character.isDigit(unit) ? ddSize : ddSize.substring(0, ddSize.length() - 1));
        return switch (unit) {
            case 'k' -> n << 10;
            case 'm' -> n << 20;
            case 'g' -> n << 30;
            default -> n;
        };
    }
}
