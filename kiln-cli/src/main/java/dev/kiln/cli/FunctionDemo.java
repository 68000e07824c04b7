package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.bench.Report;
import dev.kiln.cli.bench.ResultFiles;
import dev.kiln.cli.bench.Workloads;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The functions part of {@code kiln demo}, while the cluster is up: the example Python function (and the Java one,
 * when the project's jars are built) created through kiln's Lambda-compatible API, invoked cold (a slot microVM
 * boots) and warm (the same slot), an exception returned as Lambda's function error, a cold start cloned from the
 * function's snapshot (Python), then removed.
 */
final class FunctionDemo {
    private final DaemonClient daemon;
    private final Consumer<String> step;
    private final Consumer<String> note;
    private final ObjectMapper json = new ObjectMapper();

    FunctionDemo(DaemonClient daemon, Consumer<String> step, Consumer<String> note) {
        this.daemon = daemon;
        this.step = step;
        this.note = note;
    }

    void run(URI api, Path examples) {
        LambdaHttp lambda = new LambdaHttp(api, json, ApiSecrets.token(daemon));
        ensureImage("python3-runtime:1", examples.resolve("images/python3-runtime.yaml"),
                "Debian's python3 from the mirror with mmdebstrap, about a minute the first time");
        step.accept("kiln fn create demo-hello --runtime python3.11 --handler app.handler --code "
                + "examples/functions/python  (a plain Lambda handler; kiln's Lambda API on " + api + ")");
        fn(lambda, "demo-hello", "python3.11", "app.handler", FnCommand.zip(examples.resolve("functions/python")), 128);
        try {
            invokeColdWarmAndFailing(lambda, "demo-hello");
            coldFromSnapshot(lambda, "demo-hello");
        } finally {
            lambda.send("DELETE", FnCommand.FnSubcommand.path("demo-hello"), null, Map.of(), Duration.ofMinutes(2));
            note.accept("kiln fn rm demo-hello: its slot VM is removed");
        }

        Path runtimeJar = examples.resolveSibling("kiln-java-runtime/target/kiln-java-runtime.jar");
        Path functionJar = examples.resolve("functions/java/target/hello-java-function.jar");
        if (!Files.isRegularFile(runtimeJar) || !Files.isRegularFile(functionJar)) {
            note.accept("skipping the Java function: " + runtimeJar + " or " + functionJar + " is not built "
                    + "(./mvnw -q package -DskipTests)");
            return;
        }
        ensureImage("java-runtime:1", examples.resolve("images/java-runtime.yaml"),
                "a JDK jlinked from the host's and AWS's Lambda runtime interface client, about 10 s");
        step.accept("kiln fn create demo-java --runtime java25 --handler dev.kiln.examples.Hello::handleRequest "
                + "--code examples/functions/java/target/hello-java-function.jar  (a RequestHandler run by AWS's own "
                + "runtime interface client)");
        try {
            fn(lambda, "demo-java", "java25", "dev.kiln.examples.Hello::handleRequest", Files.readAllBytes(functionJar),
                    512);
        } catch (java.io.IOException e) {
            throw new CliException("FILE_NOT_FOUND", "cannot read " + functionJar + ": " + e.getMessage(), "",
                    ExitCodes.FILE_NOT_FOUND, e);
        }
        try {
            invokeColdWarmAndFailing(lambda, "demo-java");
        } finally {
            lambda.send("DELETE", FnCommand.FnSubcommand.path("demo-java"), null, Map.of(), Duration.ofMinutes(2));
            note.accept("kiln fn rm demo-java");
        }
        note.accept("the same API serves AWS's SDKs and CLI, signed with the key of 'kiln fn credentials': "
                + "kiln fn credentials >> ~/.aws/credentials; aws lambda invoke --profile kiln --endpoint-url " + api
                + " --function-name NAME out.json");
    }

    /** The workloads of the demo's short FunctionBench pass: pure Python, numpy, and Pillow with the input store. */
    static final List<String> DEMO_WORKLOADS = List.of("float_operation", "matmul", "image_processing");

    /**
     * A short FunctionBench pass: three workloads at the test size, once cold and once warm at 2,048 MB, beside
     * their native run on the host; the report written under bench-results/. The full benchmark is
     * {@code kiln bench functionbench}.
     */
    void functionBench(URI api, Path examples) {
        step.accept("kiln bench functionbench --workloads " + String.join(",", DEMO_WORKLOADS) + " --size test "
                + "--memory 2048 --reps 1  (a short FunctionBench pass; the image functionbench:1 is built the first "
                + "time: Debian's numpy, Pillow, OpenCV, scikit-learn and PyTorch, about 5 minutes and 2 GB)");
        Path dir = Path.of("bench-results", "demo-functionbench");
        FunctionBenchCommand.Run run = new FunctionBenchCommand.Run(daemon, new LambdaHttp(api, json, ApiSecrets.token(daemon)), examples, dir,
                Workloads.Size.TEST, 1, 1, List.of(2048), List.of("cold", "warm"), 1, false, note);
        try {
            ResultFiles.Results results = run.run(FunctionBenchCommand.choose(DEMO_WORKLOADS),
                    "kiln demo (its FunctionBench pass)");
            Path report = Report.write(dir, results);
            run.summary(results).strip().lines().forEach(note);
            note.accept("the report (plots beside AWS Lambda's published figures, the cold-start phases, the "
                    + "emulation's cost): " + report.toAbsolutePath());
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("BENCH_FAILED", "the FunctionBench pass failed: " + e.getMessage(), "",
                    ExitCodes.FAILURE, e);
        }
    }

    private void ensureImage(String tag, Path spec, String what) {
        try {
            daemon.inspectImage(tag);
            note.accept(tag + " is in the host's image store already");
        } catch (CliException missing) {
            step.accept("Building " + tag + " from " + spec.getFileName() + " (" + what + ")");
            daemon.buildImage(spec.toAbsolutePath().toString(), tag);
        }
    }

    private void fn(LambdaHttp lambda, String name, String runtime, String handler, byte[] zip, int memory) {
        try {
            lambda.send("DELETE", FnCommand.FnSubcommand.path(name), null, Map.of(), Duration.ofMinutes(2));
        } catch (CliException notThere) {
            // a clean start: no function of that name
        }
        ObjectNode body = json.createObjectNode().put("FunctionName", name).put("Runtime", runtime)
                .put("Handler", handler).put("MemorySize", memory).put("Timeout", 30);
        body.putObject("Code").put("ZipFile", Base64.getEncoder().encodeToString(zip));
        JsonNode created = lambda.sendJson("POST", LambdaHttp.FUNCTIONS, body);
        note.accept("created " + created.path("FunctionArn").asText() + " (" + created.path("CodeSize").asLong()
                + " bytes of code, " + memory + " MB)");
    }

    /**
     * After a revision's first cold start the daemon starts a template slot in the background, lets its runtime
     * initialize and snapshots it; two invocations at once then take the warm slot and a clone of that snapshot.
     */
    private void coldFromSnapshot(LambdaHttp lambda, String name) {
        step.accept("waiting for " + name + "'s snapshot (after its first cold start a template slot boots and "
                + "initializes in the background and is snapshotted: kiln fn ls shows SNAPSHOT ready)");
        long t0 = System.nanoTime();
        String state = "";
        long deadline = t0 + Duration.ofMinutes(5).toNanos();
        while (!state.equals("ready")) {
            state = lambda.get(FnCommand.FnSubcommand.path(name)).path("Configuration").path("KilnSnapshot")
                    .asText("none");
            if (state.equals("none") || System.nanoTime() > deadline) {
                note.accept("no snapshot (" + (state.equals("none") ? "none was made; see the daemon's log"
                        : "still " + state + " after 5 minutes") + "): skipping the cold start from a snapshot");
                return;
            }
            sleep(Duration.ofSeconds(1));
        }
        note.accept(String.format("snapshot ready after %.0f s", (System.nanoTime() - t0) / 1e9));
        step.accept("two invocations of " + name + " at once: one takes the warm slot, the other is a cold start in a "
                + "clone of the snapshot (its own tap, address, MAC, clock and entropy; no boot, no runtime init)");
        String path = FnCommand.FnSubcommand.path(name) + "/invocations";
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var calls = java.util.stream.Stream.of("one", "two").map(who -> threads.submit(() -> {
                long t = System.nanoTime();
                LambdaHttp.Answer a = lambda.send("POST", path, ("{\"name\": \"" + who + "\"}")
                        .getBytes(StandardCharsets.UTF_8), Map.of(), Duration.ofMinutes(5));
                return Map.entry(a, (System.nanoTime() - t) / 1e6);
            })).toList();
            for (var call : calls) {
                var done = call.get();
                LambdaHttp.Answer a = done.getKey();
                String phases = a.header("X-Kiln-Cold-Phases");
                note.accept(String.format("%s  (%.0f ms; slot %s; %s)", new String(a.body(), StandardCharsets.UTF_8),
                        done.getValue(), a.header("X-Kiln-Slot"), phases == null ? "warm"
                                : "cold, phases in ms: " + phases.replace(";", ", ")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void invokeColdWarmAndFailing(LambdaHttp lambda, String name) {
        String path = FnCommand.FnSubcommand.path(name) + "/invocations";
        step.accept("kiln fn invoke " + name + " --payload '{\"name\": \"demo\"}'  (cold: a slot microVM starts, the "
                + "runtime initializes)");
        long t0 = System.nanoTime();
        LambdaHttp.Answer cold = lambda.send("POST", path, "{\"name\": \"demo\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(), Duration.ofMinutes(5));
        note.accept(String.format("%s  (%.1f s; slot %s)", new String(cold.body(), StandardCharsets.UTF_8),
                (System.nanoTime() - t0) / 1e9, cold.header("X-Kiln-Slot")));
        if (cold.header("X-Kiln-Cold-Phases") != null) {
            note.accept("cold-start phases (ms): " + cold.header("X-Kiln-Cold-Phases").replace(";", ", "));
        }
        step.accept("kiln fn invoke " + name + " again  (warm: the same slot, the runtime already up; since its first "
                + "invocation the slot's VM has its memory size's CPU share, as on Lambda)");
        long t1 = System.nanoTime();
        LambdaHttp.Answer warm = lambda.send("POST", path, "{\"name\": \"again\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(), Duration.ofMinutes(2));
        note.accept(String.format("%s  (%.0f ms; slot %s)", new String(warm.body(), StandardCharsets.UTF_8),
                (System.nanoTime() - t1) / 1e6, warm.header("X-Kiln-Slot")));
        step.accept("kiln fn invoke " + name + " --payload '{\"fail\": \"on purpose\"}'  (an exception in the handler)");
        LambdaHttp.Answer failed = lambda.send("POST", path, "{\"fail\": \"on purpose\"}".getBytes(
                StandardCharsets.UTF_8), Map.of(), Duration.ofMinutes(2));
        String body = new String(failed.body(), StandardCharsets.UTF_8);
        note.accept("HTTP " + failed.status() + ", X-Amz-Function-Error: " + failed.header("X-Amz-Function-Error")
                + ", " + (body.length() > 200 ? body.substring(0, 200) + "..." : body));
    }
}
