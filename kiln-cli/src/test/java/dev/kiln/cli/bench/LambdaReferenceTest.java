package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cli.bench.LambdaReference.Metric;
import dev.kiln.cli.bench.LambdaReference.Relation;
import dev.kiln.cli.bench.LambdaReference.Start;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The published Lambda figures against lambda.md, and their sources. */
class LambdaReferenceTest {

    private static LambdaReference one(String workload, String benchmarkPrefix, Start start, Metric metric) {
        List<LambdaReference> found = LambdaReference.forWorkload(workload).stream()
                .filter(f -> f.benchmark().startsWith(benchmarkPrefix) && f.start() == start && f.metric() == metric)
                .toList();
        assertThat(found).as("%s %s %s %s", workload, benchmarkPrefix, start, metric).hasSize(1);
        return found.getFirst();
    }

    @Test
    void seBsValuesAsPublished() {
        LambdaReference thumbnailer = one("image_processing", "SeBS 210.thumbnailer", Start.WARM, Metric.EXEC);
        assertThat(thumbnailer.at(1024)).contains(186.0);
        assertThat(thumbnailer.at(128)).contains(1017.0);
        assertThat(thumbnailer.at(1536)).as("an absent cell stays absent").isEmpty();
        assertThat(thumbnailer.relation()).isEqualTo(Relation.CLOSEST);
        assertThat(thumbnailer.source()).contains("SeBS", "Copik", "Middleware 2021", "Python 3.6", "median");

        assertThat(one("image_processing", "SeBS 210.thumbnailer", Start.COLD, Metric.CLIENT).at(3008))
                .contains(1445.0);
        assertThat(one("storage_download_upload", "SeBS 120.uploader", Start.COLD, Metric.CLIENT).at(128))
                .contains(7547.0);
        assertThat(one("storage_download_upload", "SeBS 120.uploader", Start.WARM, Metric.CLIENT).at(3008))
                .contains(880.0);
        LambdaReference compression = one("gzip_compression", "SeBS 311.compression", Start.COLD, Metric.CLIENT);
        assertThat(compression.at(128)).isEmpty();
        assertThat(compression.at(256)).contains(10956.0);
        assertThat(one("gzip_compression", "SeBS 311.compression", Start.WARM, Metric.EXEC).at(2048)).contains(2520.0);
        LambdaReference resnet = one("cnn_serving", "SeBS 411.image-recognition", Start.WARM, Metric.EXEC);
        assertThat(resnet.msByMemoryMb()).containsOnlyKeys(512, 1024, 1536, 2048, 3008).containsEntry(3008, 319.0);
        assertThat(one("cnn_serving", "SeBS 411.image-recognition", Start.COLD, Metric.CLIENT).at(512))
                .contains(21233.0);
    }

    @Test
    void graphBfsHasNoFunctionBenchWorkload() {
        List<LambdaReference> bfs = LambdaReference.all().stream().filter(f -> f.benchmark().contains("graph-bfs"))
                .toList();
        assertThat(bfs).hasSize(2).allSatisfy(f -> {
            assertThat(f.workload()).isEmpty();
            assertThat(f.relation()).isEqualTo(Relation.NONE);
        });
        assertThat(bfs).anySatisfy(f -> assertThat(f.at(3008)).contains(60.0));
    }

    @Test
    void thePapersFiguresAtOneGigabyte() {
        assertThat(one("video_processing", "video processing", Start.UNSTATED, Metric.LATENCY).msByMemoryMb())
                .isEqualTo(new TreeMap<>(Map.of(1024, 2000.0)));
        assertThat(one("lr_serving", "model serving", Start.UNSTATED, Metric.LATENCY).at(1024)).contains(3000.0);
        LambdaReference cnn = one("cnn_serving", "model serving", Start.UNSTATED, Metric.LATENCY);
        assertThat(cnn.at(1024)).contains(3000.0);
        assertThat(cnn.relation()).isEqualTo(Relation.SAME);
        assertThat(cnn.source()).isEqualTo(LambdaReference.PAPER).contains("approximate");
    }

    @Test
    void cpuBoundReferencesSayTheyAreNotTheSameFunction() {
        List<LambdaReference> cpu = LambdaReference.forWorkload("float_operation");
        assertThat(cpu).hasSize(2).allSatisfy(f -> {
            assertThat(f.relation()).isEqualTo(Relation.CPU_BOUND);
            assertThat(f.label()).contains("CPU-bound reference, not the same function");
        });
        LambdaReference prime = cpu.stream().filter(f -> f.source().equals(LambdaReference.AWS_PRIME)).findFirst()
                .orElseThrow();
        assertThat(prime.msByMemoryMb()).isEqualTo(new TreeMap<>(Map.of(128, 11722.0, 512, 6678.0, 1024, 3194.0,
                1536, 1465.0)));
        LambdaReference fib = cpu.stream().filter(f -> f.source().equals(LambdaReference.EPSAGON)).findFirst()
                .orElseThrow();
        assertThat(fib.start()).isEqualTo(Start.WARM);
        assertThat(fib.at(128)).contains(376.0);
        assertThat(fib.at(3008)).contains(25.0);
        assertThat(fib.at(1536)).isEmpty();
    }

    @Test
    void noFigureWithoutASource() {
        assertThat(LambdaReference.all()).hasSize(18).allSatisfy(f -> {
            assertThat(f.source()).isNotBlank();
            assertThat(f.msByMemoryMb()).isNotEmpty();
            assertThat(f.msByMemoryMb().keySet()).allSatisfy(m -> assertThat(m).isBetween(128, 3008));
        });
        assertThatThrownBy(() -> new LambdaReference("x", Optional.of("matmul"), Relation.SAME, Start.WARM,
                Metric.EXEC, new TreeMap<>(Map.of(128, 1.0)), " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("source");
        assertThat(LambdaReference.forWorkload("matmul")).isEmpty();
    }
}
