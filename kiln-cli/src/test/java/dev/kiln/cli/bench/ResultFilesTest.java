package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** samples.csv, summary.csv and results.json: their shape, RFC 4180 quoting, and the round trips. */
class ResultFilesTest {
    private static final String AWKWARD = "output, said \"no\"\nsecond line";

    private static ResultFiles.Results run() {
        ResultFiles.Results base = ReportTest.run(Environment.Accelerator.TCG);
        List<Sample> samples = new ArrayList<>(base.samples());
        samples.add(new Sample("json_serdes", 128, "warm", 0, false, "pool", Double.NaN, 0.1, 1e-4,
                Optional.of(12.5), Map.of("poolTake", 1.0), 0, Optional.of(AWKWARD)));
        return new ResultFiles.Results(base.environment(), samples, base.nativeMs());
    }

    @Test
    void samplesCsvHasAHeaderAndOneQuotedRowPerSample(@TempDir Path dir) throws Exception {
        ResultFiles.Results run = run();
        ResultFiles.write(dir, run);
        String csv = Files.readString(dir.resolve(ResultFiles.SAMPLES_CSV));
        List<String> lines = csv.lines().toList();
        assertThat(lines.getFirst()).isEqualTo("workload,memory_mb,mode,rep,cold,start,in_function_ms,provider_ms,"
                + "client_ms,init_ms,phases,peak_rss_kb,problem");
        assertThat(csv).endsWith("\r\n");
        // the first sample: phases in the order they happen, numbers as plain decimals
        assertThat(lines.get(1)).isEqualTo("float_operation,512,cold,0,true,fresh,200,201,3500,300,"
                + "vmmStart=40;kernelBoot=900;agentReady=150;codeReady=20;runtimeInit=300,50000,");
        // a field with a comma, a quote and a line break is quoted, its quotes doubled
        assertThat(csv).contains(",0.0001,12.5,poolTake=1,0,\"output, said \"\"no\"\"\nsecond line\"\r\n");
        assertThat(csv).contains("json_serdes,128,warm,0,false,pool,NaN,0.1,0.0001");
        List<List<String>> rows = ResultFiles.parseCsv(csv);
        assertThat(rows).hasSize(1 + run.samples().size()).allSatisfy(r -> assertThat(r).hasSize(13));
        assertThat(rows.getLast().get(12)).isEqualTo(AWKWARD);
        assertThat(ResultFiles.readSamplesCsv(dir.resolve(ResultFiles.SAMPLES_CSV))).isEqualTo(run.samples());
    }

    @Test
    void quotingFollowsRfc4180() {
        assertThat(ResultFiles.row(List.of("plain", "a,b", "say \"hi\"", "", "x\ny"))).isEqualTo(
                "plain,\"a,b\",\"say \"\"hi\"\"\",,\"x\ny\"\r\n");
        assertThat(ResultFiles.parseCsv("a,\"b,\"\"c\"\"\"\r\n,\r\nlast")).containsExactly(List.of("a", "b,\"c\""),
                List.of("", ""), List.of("last"));
    }

    @Test
    void summaryCsvHasOneRowPerMedian(@TempDir Path dir) throws Exception {
        ResultFiles.write(dir, run());
        List<List<String>> rows = ResultFiles.parseCsv(Files.readString(dir.resolve(ResultFiles.SUMMARY_CSV)));
        assertThat(rows.getFirst()).isEqualTo(ResultFiles.SUMMARY_COLUMNS);
        assertThat(rows).contains(
                List.of("float_operation", "1024", "warm", "in_function", "7", "0", "103", "100", "106", "0.984375"),
                List.of("float_operation", "1024", "cold", "client", "7", "1", "2530", "2500", "2560", "0.984375"),
                List.of("float_operation", "1024", "cold", "phase:kernelBoot", "7", "1", "903", "900", "906",
                        "0.984375"),
                // fewer than 6 samples: no interval
                List.of("float_operation", "", "native", "in_function", "", "", "11", "", "", ""),
                // every sample discarded: counted, no median
                List.of("json_serdes", "128", "warm", "in_function", "0", "1", "", "", "", ""));
        assertThat(rows).noneMatch(r -> r.get(2).equals("warm") && r.get(3).startsWith("phase:"));
    }

    @Test
    void resultsJsonReadsBackToTheSameRun(@TempDir Path dir) throws Exception {
        ResultFiles.Results run = run();
        ResultFiles.write(dir, run);
        ResultFiles.Results back = ResultFiles.read(dir);
        assertThat(back).isEqualTo(run);
        assertThat(back.environment().accelerator()).isEqualTo(Environment.Accelerator.TCG);
        assertThat(back.summary()).isEqualTo(run.summary());
        JsonNode json = new ObjectMapper().readTree(dir.resolve(ResultFiles.RESULTS_JSON).toFile());
        assertThat(json.path("format").asText()).isEqualTo(ResultFiles.FORMAT);
        assertThat(json.path("environment").path("accelerator").asText()).isEqualTo("tcg");
        assertThat(json.path("environment").path("date").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(json.path("summary").path("cells").size()).isEqualTo(run.summary().cells().size());
        assertThat(json.path("summary").path("nativeMs").path("float_operation").asDouble())
                .isEqualTo(11);
        // a report regenerated from the saved run is the same page
        Path again = dir.resolve("again");
        assertThat(Files.readString(Report.write(again, back)))
                .isEqualTo(Files.readString(Report.write(dir.resolve("first"), run)));
    }

    @Test
    void environmentFromTheHostsProcFiles(@TempDir Path proc) throws Exception {
        Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC "
                + "7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n");
        Files.writeString(proc.resolve("meminfo"), "MemTotal:        8123456 kB\nMemFree:  1 kB\n");
        Files.createDirectories(proc.resolve("sys/kernel"));
        Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0-test\n");
        assertThat(Environment.probeHost(proc)).isEqualTo(new Environment.Host("AMD EPYC 7B13", 2, 8123456L * 1024,
                "6.1.0-test"));
        Environment.Host nothing = Environment.probeHost(proc.resolve("missing"));
        assertThat(nothing.cpuModel()).isEqualTo("unknown");
        assertThat(nothing.cores()).isPositive();
        assertThat(nothing.memoryBytes()).isZero();

        Environment env = Environment.probeHost("0.1.0", "qemu", "tcg", "small", false, "kiln bench functionbench",
                java.time.Clock.fixed(java.time.Instant.parse("2025-06-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        assertThat(env.accelerator()).isEqualTo(Environment.Accelerator.TCG);
        assertThat(env.inputSize()).isEqualTo(Workloads.Size.SMALL);
        assertThat(env.date()).isEqualTo(java.time.Instant.parse("2025-06-01T00:00:00Z"));
        assertThat(env.host().cores()).isPositive();
        assertThat(Environment.Accelerator.parse("KVM")).isEqualTo(Environment.Accelerator.KVM);
        assertThat(Environment.Accelerator.parse("?")).isEqualTo(Environment.Accelerator.UNKNOWN);
    }

    @Test
    void readingRefusesWhatIsNotAResult(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ResultFiles.read(dir)).isInstanceOf(CliException.class)
                .hasMessageContaining("no results.json");
        Files.writeString(dir.resolve(ResultFiles.RESULTS_JSON), "{\"format\": \"kiln-functionbench/1\", \"x\": 1}");
        assertThatThrownBy(() -> ResultFiles.read(dir)).isInstanceOf(CliException.class)
                .hasMessageContaining("not a FunctionBench result");
        Files.writeString(dir.resolve(ResultFiles.RESULTS_JSON), "{\"format\": \"other/9\"}");
        assertThatThrownBy(() -> ResultFiles.read(dir)).isInstanceOf(CliException.class)
                .hasMessageContaining("other/9");
    }
}
