package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every FunctionBench handler run on the host's python3 at the test size, its output checked: the handlers and
 * the checks agree, and an output that is wrong is caught. (In slot VMs they run in the FunctionBench image.)
 */
class WorkloadsNativeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("../examples/functionbench").toAbsolutePath().normalize();

    private static JsonNode run(String workload, ObjectNode event) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", DIR.resolve("native_run.py").toString(),
                DIR.resolve(workload).toString(), event.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(workload + " finished").isTrue();
        assertThat(p.exitValue()).as(workload + ": " + out).isZero();
        return JSON.readTree(out);
    }

    private static boolean hostHas(String module) throws IOException, InterruptedException {
        return new ProcessBuilder("python3", "-c", "import " + module).start().waitFor() == 0;
    }

    @Test
    void everyHandlerAtTheTestSizePassesItsCheck() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3 on the host");
        Map<String, String> modules = Map.of("python3-numpy", "numpy");
        int ran = 0;
        for (Workloads.Workload w : Workloads.all()) {
            assertThat(DIR.resolve(w.name()).resolve("handler.py")).exists();
            boolean runnable = true;
            for (String pkg : w.packages()) {
                runnable &= hostHas(modules.getOrDefault(pkg, pkg));
            }
            if (!runnable) {
                System.out.println("SKIPPED natively (the host's python3 lacks " + w.packages() + "): " + w.name());
                continue;
            }
            ObjectNode event = w.event(Workloads.Size.TEST);
            JsonNode result = run(w.name(), event);
            assertThat(w.check().problems(event, result)).as(w.name() + " " + result).isEmpty();
            ran++;
        }
        assertThat(ran).as("the standard-library workloads at least").isGreaterThanOrEqualTo(6);
    }

    @Test
    void theChecksCatchWrongOutputs() throws Exception {
        ObjectNode event = Workloads.named("float_operation").orElseThrow().event(Workloads.Size.TEST);
        JsonNode wrong = JSON.readTree("{\"latency_s\": 0.1, \"n\": 10000, \"sum\": 1.0}");
        assertThat(Workloads.named("float_operation").orElseThrow().check().problems(event, wrong))
                .singleElement().asString().startsWith("sum is 1.0");
        JsonNode noLatency = JSON.readTree("{\"entries\": 100, \"input_bytes\": 10, \"output_bytes\": 20}");
        assertThat(Workloads.named("json_serdes").orElseThrow().check().problems(
                Workloads.named("json_serdes").orElseThrow().event(Workloads.Size.TEST), noLatency))
                .containsExactly("latency_s is missing or not above 0");
        assertThat(Workloads.bytes("64k")).isEqualTo(65536);
        assertThat(Workloads.bytes("1M")).isEqualTo(1 << 20);
        assertThat(List.of(Workloads.Size.values())).hasSize(3);
    }
}
