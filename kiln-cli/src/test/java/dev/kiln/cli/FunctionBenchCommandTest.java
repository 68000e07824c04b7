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
}
