package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cli.bench.Workloads;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/** The benchmark's pure parts: the cold phases made disjoint, the start path, option checks, the function's zip. */
class FunctionBenchCommandTest {
    @Test
    void coldPhasesAreMadeDisjointAndTheRestIsOther() {
        Map<String, Double> p = FunctionBenchCommand.phases("imageDisk=4;network=100;vmmStart=247;kernelBoot=34019;"
                + "agentReady=20248;codeReady=3718;runtimeStart=25376;runtimeInit=25350;handler=488", 94163.7);
        assertThat(p).containsEntry("runtimeStart", 26.0).containsEntry("runtimeInit", 25350.0)
                .containsEntry("kernelBoot", 34019.0);
        double sum = p.values().stream().mapToDouble(Double::doubleValue).sum();
        assertThat(sum).as("the phases add up to the client's time").isCloseTo(94163.7, org.assertj.core.data
                .Offset.offset(1e-6));
        assertThat(p.get("other")).isCloseTo(94163.7 - (4 + 100 + 247 + 34019 + 20248 + 3718 + 26 + 25350 + 488),
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(FunctionBenchCommand.phases(null, 10)).isEmpty();
        assertThat(FunctionBenchCommand.phases("a=1;junk;b=x;c=2", 1)).containsOnlyKeys("a", "c")
                .as("no room for 'other' when the phases exceed the client time").doesNotContainKey("other");
    }

    @Test
    void theStartPathComesFromThePhases() {
        assertThat(FunctionBenchCommand.start(false, Map.of("kernelBoot", 1.0))).isEqualTo("warm");
        assertThat(FunctionBenchCommand.start(true, Map.of("poolTake", 0.0, "codeReady", 3.0))).isEqualTo("pool");
        assertThat(FunctionBenchCommand.start(true, Map.of("network", 1.0, "snapshotRestore", 3.0)))
                .isEqualTo("snapshot");
        assertThat(FunctionBenchCommand.start(true, Map.of("vmmStart", 1.0, "kernelBoot", 3.0))).isEqualTo("fresh");
    }

    @Test
    void badOptionsAreUsageErrorsThatNameTheChoices() {
        assertThat(FunctionBenchCommand.parseSize("Small")).isEqualTo(Workloads.Size.SMALL);
        assertThatThrownBy(() -> FunctionBenchCommand.parseSize("huge")).isInstanceOf(CliException.class)
                .hasMessageContaining("test, small or large");
        assertThatThrownBy(() -> FunctionBenchCommand.choose(List.of("matmul", "nosuch")))
                .isInstanceOf(CliException.class).hasMessageContaining("no workload 'nosuch'")
                .hasMessageContaining("float_operation");
        assertThat(FunctionBenchCommand.choose(null)).hasSize(20);
        assertThat(FunctionBenchCommand.choose(List.of(" matmul"))).extracting(Workloads.Workload::name)
                .containsExactly("matmul");

        CliRunner.Result r = CliRunner.run("bench", "functionbench", "--mode", "hot");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--mode takes cold and/or warm, not 'hot'");
        r = CliRunner.run("bench", "functionbench", "--memory", "64");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("64 MB is out of Lambda's range");
    }

    @Test
    void theFunctionZipHoldsTheHandlerTheStoreClientAndTheWrapper() throws Exception {
        Path examples = Path.of("../examples").toAbsolutePath().normalize();
        FunctionBenchCommand.Run run = new FunctionBenchCommand.Run(null, null, examples, Path.of("unused"),
                Workloads.Size.TEST, 1, 0, List.of(2048), List.of("cold"), 1, true, line -> { });
        byte[] zip = run.zip(Workloads.named("mapreduce").orElseThrow());
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        assertThat(names).contains("handler.py", "kiln_store.py", "fb_wrapper.py").noneMatch(n -> n.contains(
                "__pycache__"));
    }

    /**
     * The harness against a stand-in Lambda API that answers as kiln's would: a sample counts only when its
     * sandbox's marker agrees with the mode, the invocation did not fail, and the output passes the check.
     */
    @Test
    void aSampleCountsOnlyWhenTheMarkerAgreesWithTheModeAndTheOutputIsRight() throws Exception {
        java.util.Deque<String[]> answers = new java.util.ArrayDeque<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String[] answer = answers.removeFirst(); // {body, X-Kiln-Cold, X-Amz-Function-Error or ""}
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("X-Kiln-Cold", answer[1]);
            exchange.getResponseHeaders().add("X-Kiln-Duration-Ms", "12.5");
            if (answer[1].equals("true")) {
                try {
                    Thread.sleep(150); // the round trip outlasts the phases (72 ms): the rest is 'other'
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.getResponseHeaders().add("X-Kiln-Cold-Phases", "poolTake=0;codeReady=10;runtimeStart=50;"
                        + "runtimeInit=40;handler=12");
                exchange.getResponseHeaders().add("X-Kiln-Init-Ms", "40");
            }
            if (!answer[2].isEmpty()) {
                exchange.getResponseHeaders().add("X-Amz-Function-Error", answer[2]);
            }
            byte[] body = answer[0].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            FunctionBenchCommand.Run run = new FunctionBenchCommand.Run(null, new LambdaHttp(java.net.URI.create(
                    "http://127.0.0.1:" + server.getAddress().getPort()), new com.fasterxml.jackson.databind
                    .ObjectMapper(), dev.kiln.cluster.api.ApiToken.generate()), Path.of("../examples"), Path.of("unused"), Workloads.Size.TEST, 1, 0,
                    List.of(2048), List.of("cold", "warm"), 1, true, line -> { });
            Workloads.Workload w = Workloads.named("float_operation").orElseThrow();
            var event = w.event(Workloads.Size.TEST);
            double sum = 0;
            for (int i = 0; i < 10000; i++) {
                sum += Math.sin(i) + Math.cos(i) + Math.sqrt(i);
            }
            String right = "{\"latency_s\": 0.05, \"n\": 10000, \"sum\": " + sum + ", \"kiln_fb\": {\"cold\": %s, "
                    + "\"sandbox\": \"s1\", \"peak_rss_kb\": 17000}}";

            answers.add(new String[] {String.format(right, "true"), "true", ""});
            var cold = run.invoke(w, "fb-float-operation", 2048, "cold", 0, event);
            assertThat(cold.problem()).isEmpty();
            assertThat(cold.cold()).isTrue();
            assertThat(cold.start()).isEqualTo("pool");
            assertThat(cold.inFunctionMs()).isEqualTo(50.0);
            assertThat(cold.providerMs()).isEqualTo(12.5);
            assertThat(cold.peakRssKb()).isEqualTo(17000);
            assertThat(cold.phases()).containsEntry("runtimeStart", 10.0).containsKey("other");

            answers.add(new String[] {String.format(right, "false"), "false", ""});
            var warm = run.invoke(w, "fb-float-operation", 2048, "warm", 0, event);
            assertThat(warm.valid()).isTrue();
            assertThat(warm.start()).isEqualTo("warm");

            answers.add(new String[] {String.format(right, "false"), "false", ""});
            assertThat(run.invoke(w, "fb-float-operation", 2048, "cold", 1, event).problem())
                    .hasValueSatisfying(p -> assertThat(p).contains("a warm sandbox served it"));
            answers.add(new String[] {String.format(right, "true"), "true", ""});
            assertThat(run.invoke(w, "fb-float-operation", 2048, "warm", 1, event).problem())
                    .hasValueSatisfying(p -> assertThat(p).contains("its sandbox's first"));
            answers.add(new String[] {String.format(right.replace(Double.toString(sum), "1.0"), "false"), "false",
                    ""});
            assertThat(run.invoke(w, "fb-float-operation", 2048, "warm", 2, event).problem())
                    .hasValueSatisfying(p -> assertThat(p).contains("sum is 1.0"));
            answers.add(new String[] {"{\"errorType\": \"MemoryError\", \"errorMessage\": \"\"}", "false",
                    "Unhandled"});
            assertThat(run.invoke(w, "fb-float-operation", 2048, "warm", 3, event).problem())
                    .hasValueSatisfying(p -> assertThat(p).contains("function error Unhandled", "MemoryError"));
            answers.add(new String[] {"{\"latency_s\": 0.05, \"n\": 10000, \"sum\": " + sum + "}", "false", ""});
            assertThat(run.invoke(w, "fb-float-operation", 2048, "warm", 4, event).problem())
                    .hasValueSatisfying(p -> assertThat(p).contains("did not run through fb_wrapper"));
        } finally {
            server.stop(0);
        }
    }
}
