package dev.kiln.cli.bench;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The published AWS Lambda figures kiln's FunctionBench report sets beside its own ({@code shared/reference/lambda.md}),
 * as data. Each figure is one series over memory sizes and carries its source; a report shows the source wherever it
 * shows the figure. Absent cells of the published tables are absent here, not zero.
 *
 * @param benchmark what was measured, as its source names it ({@code 210.thumbnailer, Python})
 * @param workload  the FunctionBench workload kiln compares it with; empty when there is none ({@code 503.graph-bfs})
 * @param relation  how close the measured function is to that workload
 * @param start     cold or warm, as the source states it
 * @param metric    which time it is, to compare like with like
 * @param msByMemoryMb the published values in ms, by memory size in MB
 * @param source    who published it, where, and what statistic it is
 */
public record LambdaReference(String benchmark, Optional<String> workload, Relation relation, Start start, Metric metric,
                              SortedMap<Integer, Double> msByMemoryMb, String source) {

    /** How the published function relates to the FunctionBench workload it is shown with. */
    public enum Relation {
        /** The same FunctionBench workload (the seed paper's own runs). */
        SAME("same FunctionBench workload"),
        /** SeBS's benchmark closest to the FunctionBench workload: similar work, not the same code or input. */
        CLOSEST("closest SeBS benchmark, not the same code or input"),
        /** A different CPU-bound function, shown only for how CPU time scales with memory on Lambda. */
        CPU_BOUND("CPU-bound reference, not the same function"),
        /** No FunctionBench counterpart. */
        NONE("no FunctionBench counterpart");

        private final String label;

        Relation(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Whether the figure is of cold or warm invocations. */
    public enum Start {
        COLD("cold"), WARM("warm"), UNSTATED("start not stated");

        private final String label;

        Start(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Which time a figure is; kiln compares EXEC and DURATION with in-function time, CLIENT with end to end. */
    public enum Metric {
        /** SeBS's {@code exec}: around import and handler, inside the function. */
        EXEC("exec (in function)"),
        /** Lambda's reported duration of the handler invocation. */
        DURATION("duration (in function)"),
        /** End to end at the client, through the HTTP API gateway. */
        CLIENT("client (end to end)"),
        /** A latency whose kind the source does not state. */
        LATENCY("latency (kind not stated)");

        private final String label;

        Metric(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Whether kiln's in-function time is the like-for-like comparison. */
        public boolean inFunction() {
            return this == EXEC || this == DURATION;
        }
    }

    public static final String SEBS = "SeBS, AWS Lambda 2020 (Copik et al., Middleware 2021), Python 3.6, x86, "
            + "median of about 200-300 invocations";
    public static final String PAPER = "seed paper, abstract and section V (approximate: \"about\"; start and "
            + "metric not stated)";
    public static final String AWS_PRIME = "AWS Lambda operator guide, \"Memory and computing power\": a prime-number "
            + "function";
    public static final String EPSAGON = "Epsagon public benchmark, 2018: Python Fibonacci, warm duration";

    private static final int[] SEBS_SIZES = {128, 256, 512, 1024, 1536, 2048, 3008};

    public LambdaReference {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("a Lambda figure needs its source: " + benchmark);
        }
        if (msByMemoryMb.isEmpty()) {
            throw new IllegalArgumentException("a Lambda figure needs at least one value: " + benchmark);
        }
        msByMemoryMb = Collections.unmodifiableSortedMap(new TreeMap<>(msByMemoryMb));
        workload = workload == null ? Optional.empty() : workload;
    }

    /** The value at a memory size, when the source has one. */
    public Optional<Double> at(int memoryMb) {
        return Optional.ofNullable(msByMemoryMb.get(memoryMb));
    }

    /** A name for legends and tables: which start and metric, what was measured, and how it relates to the workload. */
    public String label() {
        return "Lambda " + (start == Start.UNSTATED ? "" : start.label() + " ") + metric.label() + ": " + benchmark
                + " — " + relation.label() + (start == Start.UNSTATED ? "; start not stated" : "");
    }

    /** Every published figure, in the order of lambda.md. */
    public static List<LambdaReference> all() {
        return FIGURES;
    }

    /** The figures shown with one FunctionBench workload. */
    public static List<LambdaReference> forWorkload(String workload) {
        return FIGURES.stream().filter(f -> f.workload().filter(workload::equals).isPresent()).toList();
    }

    private static final List<LambdaReference> FIGURES = List.of(
            sebs("120.uploader", "storage_download_upload", Start.COLD, Metric.CLIENT,
                    7547, 4228, 2404, 1764, 1616, 1546, 1691),
            sebs("120.uploader", "storage_download_upload", Start.WARM, Metric.EXEC,
                    1628, 887, 501, 386, 347, 362, 321),
            sebs("120.uploader", "storage_download_upload", Start.WARM, Metric.CLIENT,
                    2179, 1429, 1105, 978, 943, 900, 880),
            sebs("210.thumbnailer, Python", "image_processing", Start.COLD, Metric.CLIENT,
                    7764, 4161, 2478, 1730, null, 1504, 1445),
            sebs("210.thumbnailer, Python", "image_processing", Start.WARM, Metric.EXEC,
                    1017, 527, 300, 186, null, 153, 174),
            sebs("210.thumbnailer, Python", "image_processing", Start.WARM, Metric.CLIENT,
                    1616, 1147, 879, 739, null, 677, 718),
            sebs("311.compression", "gzip_compression", Start.COLD, Metric.CLIENT,
                    null, 10956, 6155, 4372, 3941, 3846, 3938),
            sebs("311.compression", "gzip_compression", Start.WARM, Metric.EXEC,
                    null, 7635, 4148, 2948, 2759, 2520, 2538),
            sebs("411.image-recognition, ResNet-50", "cnn_serving", Start.COLD, Metric.CLIENT,
                    null, null, 21233, 11224, 7984, 7066, 6749),
            sebs("411.image-recognition, ResNet-50", "cnn_serving", Start.WARM, Metric.EXEC,
                    null, null, 1877, 932, 612, 443, 319),
            sebs("411.image-recognition, ResNet-50", "cnn_serving", Start.WARM, Metric.CLIENT,
                    null, null, 2634, 1550, 1158, 1019, 906),
            sebs("503.graph-bfs", null, Start.COLD, Metric.CLIENT,
                    3635, 2558, 1804, 1560, 1384, 1449, 1355),
            sebs("503.graph-bfs", null, Start.WARM, Metric.EXEC,
                    866, 425, 203, 98, 69, 60, 60),
            paper("video processing (FunctionBench), about 2 s at 1 GB", "video_processing", 2000),
            paper("model serving (FunctionBench), about 3 s at 1 GB", "lr_serving", 3000),
            paper("model serving (FunctionBench), about 3 s at 1 GB", "cnn_serving", 3000),
            new LambdaReference("prime numbers (AWS's example)",
                    Optional.of("float_operation"), Relation.CPU_BOUND, Start.UNSTATED, Metric.DURATION,
                    values(Map.of(128, 11722.0, 512, 6678.0, 1024, 3194.0, 1536, 1465.0)), AWS_PRIME),
            new LambdaReference("Python Fibonacci (Epsagon)",
                    Optional.of("float_operation"), Relation.CPU_BOUND, Start.WARM, Metric.DURATION,
                    values(Map.of(128, 376.0, 256, 199.0, 512, 98.0, 1024, 45.0, 2048, 25.0, 3008, 25.0)), EPSAGON));

    private static LambdaReference sebs(String benchmark, String workload, Start start, Metric metric, Integer... ms) {
        SortedMap<Integer, Double> values = new TreeMap<>();
        for (int i = 0; i < SEBS_SIZES.length; i++) {
            if (ms[i] != null) {
                values.put(SEBS_SIZES[i], ms[i].doubleValue());
            }
        }
        return new LambdaReference("SeBS " + benchmark, Optional.ofNullable(workload),
                workload == null ? Relation.NONE : Relation.CLOSEST, start, metric, values, SEBS);
    }

    private static LambdaReference paper(String benchmark, String workload, double ms) {
        return new LambdaReference(benchmark, Optional.of(workload), Relation.SAME, Start.UNSTATED, Metric.LATENCY,
                values(Map.of(1024, ms)), PAPER);
    }

    private static SortedMap<Integer, Double> values(Map<Integer, Double> byMemory) {
        return new TreeMap<>(byMemory);
    }
}
