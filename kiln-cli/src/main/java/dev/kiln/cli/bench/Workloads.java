package dev.kiln.cli.bench;

import static dev.kiln.cli.bench.WorkloadChecks.close;
import static dev.kiln.cli.bench.WorkloadChecks.common;
import static dev.kiln.cli.bench.WorkloadChecks.equal;
import static dev.kiln.cli.bench.WorkloadChecks.matchIn;
import static dev.kiln.cli.bench.WorkloadChecks.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The FunctionBench workloads kiln runs (the handlers are in {@code examples/functionbench/<name>/handler.py}): each
 * one's event at the three input sizes SeBS uses (test, small, large) and the check of its output. Every handler
 * returns {@code latency_s}, the time of its own computation, beside its result fields.
 *
 * <p>Inputs: events name objects of the function input store by key, {@code inputs/<size>/...}, which
 * {@code examples/functionbench/make_inputs.py <size> DIR} writes (from fixed seeds) under
 * {@code DIR/functionbench/}; the key names carry what the checks need to know of an input (its rows, frames, pixel
 * sizes, bytes). Outputs go to the store under {@code outputs/<workload>/...}.
 *
 * <p>iperf3's events hold placeholders, {@code "server": "${server}"} and {@code "port": 0}: the harness starts an
 * iperf3 server the function can reach and fills them in with {@link #withServer}.
 */
public final class Workloads {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The languages mapreduce counts, in its handler's order (make_inputs.py mentions them in that order too). */
    static final List<String> LANGUAGES = List.of("python", "java", "javascript", "golang", "rust", "ruby", "haskell",
            "kotlin", "scala", "swift", "erlang", "elixir", "perl", "fortran", "cobol", "lisp");
    static final String POSITIVE = "The coffee arrived fresh and it is excellent: delicious, perfect, love it!";
    static final String NEGATIVE = "Terrible. The worst, awful and stale; it tasted disgusting. Refund, please";

    /** The input sizes: test (seconds under emulation), small, large. */
    public enum Size { TEST, SMALL, LARGE }

    /**
     * One workload.
     *
     * @param packages    what its handler needs beyond Python's standard library (Debian package names)
     * @param minMemoryMb the smallest of SeBS's memory sizes (128, 256, 512, ... MB) it is meant to run in: its
     *                    handler's peak RSS measured natively (native_run.py) at the large size, plus 64 MB for the
     *                    guest, rounded up to the next size (mapreduce: one mapper's; natively the driver plays all
     *                    of them in one process)
     * @param events      its event at each size (JSON)
     */
    public record Workload(String name, List<String> packages, int minMemoryMb, Map<Size, String> events,
                           Check check) {
        public Workload {
            packages = List.copyOf(packages);
            events = Map.copyOf(events);
        }

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
                new Workload("float_operation", List.of(), 128, sizes("{\"n\": 10000}", "{\"n\": 1000000}",
                        "{\"n\": 10000000}"), (e, r) -> {
                    List<String> p = common(r);
                    double expected = 0;
                    for (int i = 0; i < e.path("n").asInt(); i++) {
                        expected += Math.sin(i) + Math.cos(i) + Math.sqrt(i);
                    }
                    close(p, "sum", r.path("sum").asDouble(), expected, 1e-9);
                    return p;
                }),
                new Workload("matmul", List.of("python3-numpy"), 256, sizes("{\"n\": 100}", "{\"n\": 500}",
                        "{\"n\": 2000}"), (e, r) -> {
                    List<String> p = common(r);
                    close(p, "trace", r.path("trace").asDouble(), r.path("expected_trace").asDouble(), 1e-9);
                    return p;
                }),
                new Workload("linpack", List.of("python3-numpy"), 256, sizes("{\"n\": 100}", "{\"n\": 500}",
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
                new Workload("pyaes", List.of("python3-pyaes"), 128,
                        sizes("{\"length_of_message\": 100, \"num_of_iterations\": 10}",
                                "{\"length_of_message\": 1000, \"num_of_iterations\": 100}",
                                "{\"length_of_message\": 10000, \"num_of_iterations\": 100}"), WorkloadChecks::pyaes),
                new Workload("chameleon", List.of("python3-chameleon"), 512,
                        sizes("{\"num_of_rows\": 10, \"num_of_cols\": 10}",
                                "{\"num_of_rows\": 300, \"num_of_cols\": 300}",
                                "{\"num_of_rows\": 1000, \"num_of_cols\": 1000}"), WorkloadChecks::chameleon),
                new Workload("json_serdes", List.of(), 512, sizes(
                        "{\"key\": \"inputs/test/json_serdes/doc-100.json\"}",
                        "{\"key\": \"inputs/small/json_serdes/doc-10000.json\"}",
                        "{\"key\": \"inputs/large/json_serdes/doc-100000.json\"}"), (e, r) -> {
                    List<String> p = common(r);
                    matchIn(p, e, "key", Pattern.compile("doc-(\\d+)\\.json$"))
                            .ifPresent(m -> equal(p, "entries", r.path("entries").asLong(), parse(m, 1)));
                    if (r.path("output_bytes").asLong() <= r.path("input_bytes").asLong()) {
                        p.add("the indented output is not longer than the input");
                    }
                    return p;
                }),
                new Workload("image_processing", List.of("python3-pil"), 256, sizes(
                        "{\"key\": \"inputs/test/image/image-320x180.jpg\"}",
                        "{\"key\": \"inputs/small/image/image-1280x720.jpg\"}",
                        "{\"key\": \"inputs/large/image/image-4742x2667.jpg\"}"), WorkloadChecks::imageProcessing),
                new Workload("video_processing", List.of("python3-opencv"), 256, sizes(
                        "{\"key\": \"inputs/test/video/testsrc-320x180-10fps-1s.mp4\"}",
                        "{\"key\": \"inputs/small/video/testsrc-640x360-10fps-3s.mp4\"}",
                        "{\"key\": \"inputs/large/video/testsrc-1280x720-10fps-10s.mp4\"}"), WorkloadChecks::video),
                new Workload("face_detection", List.of("python3-opencv"), 512, sizes(
                        faces("test", "320x180-10fps-1s"), faces("small", "640x360-10fps-3s"),
                        faces("large", "1280x720-10fps-10s")), WorkloadChecks::faceDetection),
                new Workload("model_training", List.of("python3-sklearn"), 512, sizes(
                        training("test", 200), training("small", 2000), training("large", 50000)),
                        WorkloadChecks::modelTraining),
                new Workload("lr_serving", List.of("python3-sklearn"), 256, sizes(
                        serving("test", 200), serving("small", 2000), serving("large", 50000)),
                        WorkloadChecks::lrServing),
                new Workload("cnn_serving", List.of("python3-torch", "python3-pil", "python3-numpy"), 512, sizes(
                        cnn("test", "320x180", "64px-3conv-10classes"),
                        cnn("small", "1280x720", "224px-4conv-1000classes"),
                        cnn("large", "4742x2667", "224px-5conv-1000classes")), WorkloadChecks::cnnServing),
                new Workload("rnn_serving", List.of("python3-torch"), 512, sizes(
                        "{\"language\": \"Russian\", \"start_letters\": \"RUS\", "
                                + "\"model_key\": \"inputs/test/rnn/rnn-gru-64h-1l.pt\"}",
                        "{\"language\": \"German\", \"start_letters\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ\", "
                                + "\"model_key\": \"inputs/small/rnn/rnn-gru-256h-1l.pt\"}",
                        "{\"language\": \"Japanese\", \"start_letters\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ\", "
                                + "\"model_key\": \"inputs/large/rnn/rnn-gru-512h-2l.pt\"}"),
                        WorkloadChecks::rnnServing),
                new Workload("mapreduce", List.of(), 256, sizes(mapreduce("test", 4, 10, 2),
                        mapreduce("small", 8, 250, 4), mapreduce("large", 16, 2500, 8)), WorkloadChecks::mapreduce),
                new Workload("dd", List.of(), 128, sizes("{\"bs\": \"64k\", \"count\": 16}",
                        "{\"bs\": \"1M\", \"count\": 64}", "{\"bs\": \"1M\", \"count\": 512}"), (e, r) -> {
                    List<String> p = common(r);
                    equal(p, "exit", r.path("exit").asLong(), 0);
                    equal(p, "bytes", r.path("bytes").asLong(),
                            bytes(e.path("bs").asText()) * e.path("count").asLong());
                    if (!r.path("dd").asText().contains("copied")) {
                        p.add("dd's throughput line is missing: " + r.path("dd").asText());
                    }
                    return p;
                }),
                new Workload("gzip_compression", List.of(), 512, sizes("{\"file_size\": 1}", "{\"file_size\": 16}",
                        "{\"file_size\": 128}"), (e, r) -> {
                    List<String> p = common(r);
                    equal(p, "bytes", r.path("bytes").asLong(), e.path("file_size").asLong() << 20);
                    if (r.path("gzip_bytes").asLong() < r.path("bytes").asLong() * 9 / 10) {
                        p.add("random bytes compressed to " + r.path("gzip_bytes").asLong()
                                + ": not random, or not gzip");
                    }
                    return p;
                }),
                new Workload("sequential_disk_io", List.of(), 128, sizes("{\"file_size\": 1, \"byte_size\": 65536}",
                        "{\"file_size\": 64, \"byte_size\": 65536}", "{\"file_size\": 512, \"byte_size\": 1048576}"),
                        WorkloadChecks::diskIo),
                new Workload("random_disk_io", List.of(), 128, sizes("{\"file_size\": 1, \"byte_size\": 65536}",
                        "{\"file_size\": 64, \"byte_size\": 65536}", "{\"file_size\": 512, \"byte_size\": 1048576}"),
                        WorkloadChecks::diskIo),
                new Workload("iperf3", List.of("iperf3"), 128, sizes(iperf3(1), iperf3(5), iperf3(10)),
                        WorkloadChecks::iperf3),
                new Workload("storage_download_upload", List.of(), 256, sizes(
                        "{\"key\": \"inputs/test/storage/blob-1MiB.bin\"}",
                        "{\"key\": \"inputs/small/storage/blob-16MiB.bin\"}",
                        "{\"key\": \"inputs/large/storage/blob-64MiB.bin\"}"), WorkloadChecks::storage));
    }

    public static Optional<Workload> named(String name) {
        return all().stream().filter(w -> w.name().equals(name)).findFirst();
    }

    /** An iperf3 event with the placeholders filled in: the server's address and port. */
    public static ObjectNode withServer(ObjectNode event, String server, int port) {
        ObjectNode filled = event.deepCopy();
        filled.put("server", server);
        filled.put("port", port);
        return filled;
    }

    private static String faces(String size, String video) {
        return "{\"key\": \"inputs/" + size + "/faces/faces-" + video + ".mp4\", \"model_key\": \"inputs/" + size
                + "/faces/haarcascade_frontalface_default.xml\"}";
    }

    private static String training(String size, int rows) {
        return "{\"dataset_key\": \"inputs/" + size + "/reviews/reviews-" + rows + ".csv\", \"model_key\": "
                + "\"outputs/model_training/" + size + "/lr-model-" + rows + ".pkl\"}";
    }

    /** lr_serving's x: a glowing review and a scathing one (FunctionBench sent one text; two let the check fail). */
    private static String serving(String size, int rows) {
        return "{\"x\": [\"" + POSITIVE + "\", \"" + NEGATIVE + "\"], \"model_key\": \"inputs/" + size
                + "/reviews/lr-model-" + rows + ".pkl\"}";
    }

    private static String cnn(String size, String image, String model) {
        return "{\"key\": \"inputs/" + size + "/image/image-" + image + ".jpg\", \"model_key\": \"inputs/" + size
                + "/cnn/cnn-" + model + ".pt\"}";
    }

    private static String mapreduce(String size, int texts, int blocks, int mappers) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < texts; i++) {
            keys.add("\"inputs/" + size + "/mapreduce/text-" + i + "-x" + blocks + ".txt\"");
        }
        return "{\"role\": \"driver\", \"keys\": [" + String.join(", ", keys) + "], \"mappers\": " + mappers + "}";
    }

    private static String iperf3(int seconds) {
        return "{\"server\": \"${server}\", \"port\": 0, \"seconds\": " + seconds + ", \"reverse\": false}";
    }

    private static Map<Size, String> sizes(String test, String small, String large) {
        return Map.of(Size.TEST, test, Size.SMALL, small, Size.LARGE, large);
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
