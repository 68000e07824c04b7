package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every FunctionBench handler run on the host's python3 at the test size, on inputs make_inputs.py writes into a
 * temporary input store, its output checked: the handlers, the inputs and the checks agree, and an output that is
 * wrong is caught. (In slot VMs they run in the FunctionBench image.) A workload is skipped, with the reason printed,
 * only when the host lacks one of its Python modules or tools.
 */
class WorkloadsNativeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("../examples/functionbench").toAbsolutePath().normalize();
    /** Debian's python3, with Debian's packages (a python3 earlier on the PATH may lack them). */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Map<String, String> MODULES = Map.of("python3-numpy", "numpy", "python3-pil", "PIL",
            "python3-opencv", "cv2", "python3-sklearn", "sklearn", "python3-torch", "torch",
            "python3-pyaes", "pyaes", "python3-chameleon", "chameleon");
    /** Host tools beyond the packages: make_inputs.py makes the videos with ffmpeg. */
    private static final Map<String, List<String>> TOOLS = Map.of("video_processing", List.of("ffmpeg"),
            "face_detection", List.of("ffmpeg"), "iperf3", List.of("iperf3"));

    /** The modules the host's python3 imports, by name (importing torch takes seconds: once is enough). */
    private final Map<String, Boolean> imports = new HashMap<>();

    @TempDir
    Path temp;

    private JsonNode run(String workload, ObjectNode event, Path store) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile(temp, workload, ".stderr");
        ProcessBuilder builder = new ProcessBuilder(PYTHON, DIR.resolve("native_run.py").toString(),
                DIR.resolve(workload).toString(), event.toString()).redirectError(stderr.toFile());
        builder.environment().put("KILN_STORE_DIR", store.toString());
        builder.environment().remove("KILN_STORE_URL");
        builder.environment().remove("KILN_LAMBDA_URL");
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(workload + " finished").isTrue();
        assertThat(p.exitValue()).as(workload + ": " + out + Files.readString(stderr)).isZero();
        return JSON.readTree(out);
    }

    private static boolean succeeds(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** What the host lacks to run the workload: empty when it has everything. */
    private List<String> lacks(Workloads.Workload w) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (String pkg : w.packages()) {
            String module = MODULES.get(pkg);
            if (module != null && !imports.containsKey(module)) {
                imports.put(module, succeeds(PYTHON, "-c", "import " + module));
            }
            if (module != null && !imports.get(module)) {
                missing.add("python3's module " + MODULES.get(pkg) + " (" + pkg + ")");
            }
        }
        for (String tool : TOOLS.getOrDefault(w.name(), List.of())) {
            if (!succeeds("sh", "-c", "command -v " + tool)) {
                missing.add(tool);
            }
        }
        return missing;
    }

    /** The workload run against a one-off iperf3 server on the loopback, which this starts and ends. */
    private JsonNode runIperf3(ObjectNode event, Path store) throws IOException, InterruptedException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process server = new ProcessBuilder("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", Integer.toString(port),
                "--forceflush").redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String line = lines.readLine(); ; line = lines.readLine()) {
                assertThat(line).as("iperf3 -s said it listens").isNotNull();
                if (line.contains("listening")) {
                    break;
                }
            }
            return run("iperf3", Workloads.withServer(event, "127.0.0.1", port), store);
        } finally {
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroy();
            }
        }
    }

    @Test
    void everyHandlerAtTheTestSizePassesItsCheck() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON + " on the host");
        Path store = temp.resolve("store");
        Process inputs = new ProcessBuilder(PYTHON, DIR.resolve("make_inputs.py").toString(), "test", store.toString())
                .redirectErrorStream(true).start();
        String made = new String(inputs.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(inputs.waitFor(300, TimeUnit.SECONDS)).as("make_inputs.py finished").isTrue();
        assertThat(inputs.exitValue()).as(made).isZero();
        System.out.print(made);
        int ran = 0;
        for (Workloads.Workload w : Workloads.all()) {
            assertThat(DIR.resolve(w.name()).resolve("handler.py")).exists();
            List<String> missing = lacks(w);
            if (!missing.isEmpty()) {
                System.out.println("SKIPPED natively (the host lacks " + String.join(", ", missing) + "): " + w.name());
                continue;
            }
            ObjectNode event = w.event(Workloads.Size.TEST);
            List<ObjectNode> events = new ArrayList<>(List.of(event));
            if (w.name().equals("iperf3")) {
                events.add(event.deepCopy().put("reverse", true));
            }
            for (ObjectNode e : events) {
                JsonNode result = w.name().equals("iperf3") ? runIperf3(e, store) : run(w.name(), e, store);
                assertThat(w.check().problems(e, result)).as(w.name() + " " + e + " -> " + result).isEmpty();
                System.out.printf("ran natively: %s in %.3f s%n", w.name(), result.path("latency_s").asDouble());
            }
            ran++;
        }
        assertThat(ran).as("the standard-library workloads at least").isGreaterThanOrEqualTo(8);
        assertThat(store.resolve("functionbench/outputs/storage_download_upload/test/storage/blob-1MiB.bin"))
                .hasSize(1 << 20);
    }

    private static List<String> problems(String workload, ObjectNode event, String result) throws IOException {
        return Workloads.named(workload).orElseThrow().check().problems(event, JSON.readTree(result));
    }

    private static List<String> problems(String workload, String result) throws IOException {
        return problems(workload, Workloads.named(workload).orElseThrow().event(Workloads.Size.TEST), result);
    }

    @Test
    void theChecksCatchWrongOutputs() throws Exception {
        ObjectNode event = Workloads.named("float_operation").orElseThrow().event(Workloads.Size.TEST);
        JsonNode wrong = JSON.readTree("{\"latency_s\": 0.1, \"n\": 10000, \"sum\": 1.0}");
        assertThat(Workloads.named("float_operation").orElseThrow().check().problems(event, wrong))
                .singleElement().asString().startsWith("sum is 1.0");
        assertThat(problems("json_serdes", "{\"entries\": 100, \"input_bytes\": 10, \"output_bytes\": 20}"))
                .containsExactly("latency_s is missing or not above 0");
        assertThat(problems("json_serdes", "{\"latency_s\": 1, \"entries\": 99, \"input_bytes\": 10, "
                + "\"output_bytes\": 20}")).containsExactly("entries is 99, not 100");
        assertThat(Workloads.bytes("64k")).isEqualTo(65536);
        assertThat(Workloads.bytes("1M")).isEqualTo(1 << 20);
        assertThat(List.of(Workloads.Size.values())).hasSize(3);
    }

    /** pyaes's output at the test size as the handler gave it: the check redoes AES-CTR with the JDK's AES. */
    @Test
    void pyaesIsCheckedAgainstTheJdksAes() throws Exception {
        String right = "{\"latency_s\": 0.01, \"length_of_message\": 100, \"num_of_iterations\": 10, "
                + "\"decrypted_matches\": true, \"ciphertext_bytes\": 100, "
                + "\"message_head\": \"hbrpoig8f1cbfno6b9m80o2rak1vrjnvgfygwwqc38hyf9sxmecosfogyr3xkxwn\", "
                + "\"ciphertext_head_hex\": \"e87bba3183cb8f0ce6a3e08b977fc287fda6f88b71eb96a5fcde55f35b1faa5a0a12af"
                + "f803dbd2b55b7c63964533fb7ebef4d7b416753c263e2267ed4cf40c2b\"}";
        assertThat(problems("pyaes", right)).isEmpty();
        assertThat(problems("pyaes", right.replace("e87bba", "e87bbb"))).singleElement().asString()
                .startsWith("the ciphertext begins e87bbb");
        assertThat(problems("pyaes", right.replace("\"decrypted_matches\": true", "\"decrypted_matches\": false")))
                .containsExactly("decrypting did not give the message back");
    }

    @Test
    void theNewChecksCatchWrongOutputs() throws Exception {
        assertThat(problems("chameleon", "{\"latency_s\": 0.1, \"rows\": 10, \"cells\": 100, \"spans\": 100, "
                + "\"cell_sum\": 550}")).isEmpty();
        assertThat(problems("chameleon", "{\"latency_s\": 0.1, \"rows\": 10, \"cells\": 90, \"spans\": 100, "
                + "\"cell_sum\": 550}")).containsExactly("cells is 90, not 100");

        String video = "{\"latency_s\": 0.1, \"frames\": 10, \"width\": 320, \"height\": 180, \"output_key\": "
                + "\"outputs/video_processing/x.avi\", \"output_bytes\": 1000, \"output_frames\": 10, "
                + "\"output_fps\": 20.0, \"output_width\": 320, \"output_height\": 180}";
        assertThat(problems("video_processing", video)).isEmpty();
        assertThat(problems("video_processing", video.replace("\"output_frames\": 10", "\"output_frames\": 9")))
                .containsExactly("output_frames is 9, not 10");
        String faces = "{\"latency_s\": 0.3, \"frames\": 10, \"width\": 320, \"height\": 180, \"faces\": 10, "
                + "\"frames_with_faces\": 10, \"output_key\": \"outputs/face_detection/x.avi\", \"output_bytes\": 100, "
                + "\"output_frames\": 10, \"output_fps\": 20.0}";
        assertThat(problems("face_detection", faces)).isEmpty();
        assertThat(problems("face_detection", faces.replace("\"frames_with_faces\": 10", "\"frames_with_faces\": 0")
                .replace("\"faces\": 10", "\"faces\": 0"))).singleElement().asString().startsWith("0 faces in 0 of 10");

        String lr = "{\"latency_s\": 0.01, \"predictions\": [5, 1], \"probabilities\": [[0.1, 0.1, 0.1, 0.1, 0.6], "
                + "[0.6, 0.1, 0.1, 0.1, 0.1]], \"classes\": [1, 2, 3, 4, 5]}";
        assertThat(problems("lr_serving", lr)).isEmpty();
        assertThat(problems("lr_serving", lr.replace("[5, 1]", "[5, 5]"))).singleElement().asString()
                .startsWith("the score of \"Terrible.");
        assertThat(problems("model_training", "{\"latency_s\": 0.2, \"rows\": 200, \"min_df\": 2, \"vocabulary\": 9, "
                + "\"classes\": [1, 2, 3, 4, 5], \"accuracy\": 0.5, \"model_key\": "
                + "\"outputs/model_training/test/lr-model-200.pkl\"}"))
                .containsExactly("the accuracy on the training set is 0.5, not at least 0.8");

        String cnn = "{\"latency_s\": 0.1, \"classes\": 10, \"class_index\": 2, \"top5\": [{\"index\": 2, "
                + "\"probability\": 0.3}, {\"index\": 3, \"probability\": 0.2}, {\"index\": 5, \"probability\": 0.1}, "
                + "{\"index\": 4, \"probability\": 0.1}, {\"index\": 7, \"probability\": 0.05}], "
                + "\"probability_sum\": 1.0, \"image_width\": 320, \"image_height\": 180, \"input\": 64}";
        assertThat(problems("cnn_serving", cnn)).isEmpty();
        assertThat(problems("cnn_serving", cnn.replace("\"probability_sum\": 1.0", "\"probability_sum\": 0.7")))
                .containsExactly("probability_sum is 0.7, not 1.0");
        assertThat(problems("cnn_serving", cnn.replace("\"probability\": 0.2", "\"probability\": 0.4")))
                .singleElement().asString().startsWith("top5 is not classes in descending order");

        String rnn = "{\"latency_s\": 0.04, \"language\": \"Russian\", \"names\": [\"Rov\", \"Ulan\", \"Sasha\"]}";
        assertThat(problems("rnn_serving", rnn)).isEmpty();
        assertThat(problems("rnn_serving", rnn.replace("Ulan", "Lana"))).singleElement().asString()
                .startsWith("name 1 is \"Lana\"");

        // the test size: texts 0-3 with 10 blocks each, python is language 0: 10 * (1 + 8 + 4 + 11) = 240
        StringBuilder counts = new StringBuilder();
        long[] expected = {240, 210, 180, 260, 230, 310, 170, 250, 220, 300, 270, 240, 210, 180, 260, 230};
        for (int j = 0; j < expected.length; j++) {
            counts.append(j == 0 ? "" : ", ").append('"').append(Workloads.LANGUAGES.get(j)).append("\": ")
                    .append(expected[j]);
        }
        String mapreduce = "{\"latency_s\": 0.02, \"mappers\": 2, \"keys\": 4, \"mapper_latency_s\": [0.01, 0.01], "
                + "\"counts\": {" + counts + "}}";
        assertThat(problems("mapreduce", mapreduce)).isEmpty();
        assertThat(problems("mapreduce", mapreduce.replace("\"lisp\": 230", "\"lisp\": 229")))
                .containsExactly("the count of lisp is 229, not 230");
        assertThat(problems("mapreduce", mapreduce.replace("\"mappers\": 2", "\"mappers\": 1")))
                .contains("mappers is 1, not 2");

        ObjectNode iperf = Workloads.withServer(Workloads.named("iperf3").orElseThrow().event(Workloads.Size.TEST),
                "10.0.0.1", 5201);
        assertThat(iperf.path("server").asText()).isEqualTo("10.0.0.1");
        String rates = "{\"latency_s\": 1.0, \"reverse\": false, \"seconds\": 1.0, \"sent_bytes\": 10, "
                + "\"received_bytes\": 10, \"sent_bits_per_second\": 80.0, \"received_bits_per_second\": 80.0}";
        assertThat(problems("iperf3", iperf, rates)).isEmpty();
        assertThat(problems("iperf3", iperf.deepCopy().put("reverse", true), rates))
                .containsExactly("iperf3 ran with reverse false, not true");

        String storage = "{\"latency_s\": 0.3, \"download_s\": 0.1, \"upload_s\": 0.2, \"bytes_downloaded\": 1048576, "
                + "\"bytes_uploaded\": 1048576, \"upload_matches\": true}";
        assertThat(problems("storage_download_upload", storage)).isEmpty();
        assertThat(problems("storage_download_upload", storage.replace("\"bytes_uploaded\": 1048576",
                "\"bytes_uploaded\": 1000"))).containsExactly("bytes_uploaded is 1000, not 1048576");
        assertThat(Workloads.all()).hasSize(20);
    }
}
