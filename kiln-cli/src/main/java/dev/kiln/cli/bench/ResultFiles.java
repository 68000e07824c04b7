package dev.kiln.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.kiln.cli.CliException;
import dev.kiln.cli.ExitCodes;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A FunctionBench run's files in its output directory: {@value #SAMPLES_CSV} (one row per invocation),
 * {@value #SUMMARY_CSV} (one row per median) and {@value #RESULTS_JSON} (everything, read back by
 * {@code --report-only}). The CSV files follow RFC 4180 (CRLF, fields with a comma, quote or line break quoted).
 */
public final class ResultFiles {
    public static final String SAMPLES_CSV = "samples.csv";
    public static final String SUMMARY_CSV = "summary.csv";
    public static final String RESULTS_JSON = "results.json";
    /** The results.json format; reading refuses another. */
    public static final String FORMAT = "kiln-functionbench/1";

    static final List<String> SAMPLE_COLUMNS = List.of("workload", "memory_mb", "mode", "rep", "cold", "start",
            "in_function_ms", "provider_ms", "client_ms", "init_ms", "phases", "peak_rss_kb", "problem");
    static final List<String> SUMMARY_COLUMNS = List.of("workload", "memory_mb", "mode", "metric", "valid",
            "discarded", "median_ms", "ci_low_ms", "ci_high_ms", "ci_coverage");

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * What a run measured: the environment, every sample (valid or not) and the median native host time of each
     * function body (ms, by workload; absent when it was not run natively). The summary is derived from it.
     */
    public record Results(Environment environment, List<Sample> samples, Map<String, Double> nativeMs) {
        public Results {
            samples = List.copyOf(samples);
            nativeMs = Collections.unmodifiableMap(new TreeMap<>(nativeMs));
        }

        public Summary summary() {
            return Summary.of(samples, nativeMs);
        }
    }

    /** results.json: the run and, for other tools, its summary (derived; reading recomputes it). */
    record Document(String format, Environment environment, List<Sample> samples, Map<String, Double> nativeMs,
                    JsonNode summary) {
    }

    private ResultFiles() {
    }

    /** Writes the three files into {@code dir} (created when missing), replacing earlier ones. */
    public static void write(Path dir, Results run) {
        Summary summary = run.summary();
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(SAMPLES_CSV), samplesCsv(run.samples()));
            Files.writeString(dir.resolve(SUMMARY_CSV), summaryCsv(summary));
            Document doc = new Document(FORMAT, run.environment(), run.samples(), run.nativeMs(),
                    JSON.valueToTree(summary));
            JSON.writeValue(dir.resolve(RESULTS_JSON).toFile(), doc);
        } catch (IOException e) {
            throw new CliException("BENCH_RESULTS_UNWRITABLE", "cannot write the results into " + dir + ": " + e,
                    "check that the directory is writable and the disk has room", ExitCodes.FAILURE, e);
        }
    }

    /** Reads the run back from {@code dir}'s results.json. */
    public static Results read(Path dir) {
        Path file = dir.resolve(RESULTS_JSON);
        try {
            Document doc = JSON.readValue(Files.readString(file), Document.class);
            if (!FORMAT.equals(doc.format())) {
                throw new CliException("BENCH_RESULTS_UNREADABLE", file + " is in the format " + doc.format()
                        + ", not " + FORMAT, "run the benchmark again with this kiln", ExitCodes.FAILURE);
            }
            if (doc.environment() == null || doc.samples() == null) {
                throw new CliException("BENCH_RESULTS_UNREADABLE", file + " has no environment or no samples",
                        "run the benchmark again with this kiln", ExitCodes.FAILURE);
            }
            return new Results(doc.environment(), doc.samples(), doc.nativeMs() == null ? Map.of() : doc.nativeMs());
        } catch (NoSuchFileException e) {
            throw new CliException("BENCH_RESULTS_NOT_FOUND", "no " + RESULTS_JSON + " in " + dir,
                    "give the output directory of a 'kiln bench functionbench' run", ExitCodes.FILE_NOT_FOUND, e);
        } catch (JsonProcessingException e) {
            throw new CliException("BENCH_RESULTS_UNREADABLE", file + " is not a FunctionBench result: "
                    + e.getOriginalMessage(), "run the benchmark again with this kiln", ExitCodes.FAILURE, e);
        } catch (IOException e) {
            throw new CliException("BENCH_RESULTS_UNREADABLE", "cannot read " + file + ": " + e, "",
                    ExitCodes.FAILURE, e);
        }
    }

    /** samples.csv's text: a header row, then one row per sample, phases as {@code name=ms;name=ms}. */
    static String samplesCsv(List<Sample> samples) {
        StringBuilder out = new StringBuilder(row(SAMPLE_COLUMNS));
        for (Sample s : samples) {
            String phases = Summary.orderPhases(s.phases().keySet()).stream()
                    .map(p -> p + "=" + number(s.phases().get(p))).collect(Collectors.joining(";"));
            out.append(row(List.of(s.workload(), Integer.toString(s.memoryMb()), s.mode(), Integer.toString(s.rep()),
                    Boolean.toString(s.cold()), s.start(), number(s.inFunctionMs()), number(s.providerMs()),
                    number(s.clientMs()), s.initMs().map(ResultFiles::number).orElse(""), phases,
                    Long.toString(s.peakRssKb()), s.problem().orElse(""))));
        }
        return out.toString();
    }

    /** Reads samples.csv back (its header must be the one {@link #samplesCsv} writes). */
    public static List<Sample> readSamplesCsv(Path file) {
        try {
            return parseSamplesCsv(Files.readString(file));
        } catch (IOException e) {
            throw new CliException("BENCH_RESULTS_UNREADABLE", "cannot read " + file + ": " + e, "",
                    ExitCodes.FAILURE, e);
        }
    }

    static List<Sample> parseSamplesCsv(String text) {
        List<List<String>> rows = parseCsv(text);
        if (rows.isEmpty() || !rows.getFirst().equals(SAMPLE_COLUMNS)) {
            throw new CliException("BENCH_RESULTS_UNREADABLE", "samples.csv's header is not " + SAMPLE_COLUMNS,
                    "", ExitCodes.FAILURE);
        }
        List<Sample> samples = new ArrayList<>();
        for (List<String> r : rows.subList(1, rows.size())) {
            Map<String, Double> phases = new LinkedHashMap<>();
            for (String kv : r.get(10).split(";")) {
                int eq = kv.lastIndexOf('=');
                if (eq > 0) {
                    phases.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
                }
            }
            samples.add(new Sample(r.get(0), Integer.parseInt(r.get(1)), r.get(2), Integer.parseInt(r.get(3)),
                    Boolean.parseBoolean(r.get(4)), r.get(5), Double.parseDouble(r.get(6)),
                    Double.parseDouble(r.get(7)), Double.parseDouble(r.get(8)),
                    r.get(9).isEmpty() ? Optional.empty() : Optional.of(Double.parseDouble(r.get(9))), phases,
                    Long.parseLong(r.get(11)), r.get(12).isEmpty() ? Optional.empty() : Optional.of(r.get(12))));
        }
        return samples;
    }

    /**
     * summary.csv's text: one row per median (in-function, provider, client, init, each phase), and the natives;
     * an interval's ends are empty when there are too few samples for one.
     */
    static String summaryCsv(Summary summary) {
        StringBuilder out = new StringBuilder(row(SUMMARY_COLUMNS));
        for (Summary.Cell c : summary.cells()) {
            Map<String, Optional<MedianCi>> metrics = new LinkedHashMap<>();
            metrics.put("in_function", c.inFunction());
            metrics.put("provider", c.provider());
            metrics.put("client", c.client());
            c.init().ifPresent(ci -> metrics.put("init", Optional.of(ci)));
            c.phases().forEach((phase, ci) -> metrics.put("phase:" + phase, Optional.of(ci)));
            metrics.forEach((metric, ci) -> out.append(summaryRow(c.key().workload(),
                    Integer.toString(c.key().memoryMb()), c.key().mode(), metric, c.valid(), c.discarded(), ci)));
        }
        summary.nativeMs().forEach((workload, ms) -> out.append(row(List.of(workload, "", "native", "in_function",
                "", "", number(ms), "", "", ""))));
        return out.toString();
    }

    private static String summaryRow(String workload, String memory, String mode, String metric, int valid,
                                     int discarded, Optional<MedianCi> ci) {
        return row(List.of(workload, memory, mode, metric, Integer.toString(valid), Integer.toString(discarded),
                ci.map(m -> number(m.median())).orElse(""), ci.filter(m -> m.lowRank() > 0).map(m -> number(m.low()))
                        .orElse(""), ci.filter(m -> m.lowRank() > 0).map(m -> number(m.high())).orElse(""),
                ci.filter(m -> m.lowRank() > 0).map(m -> number(m.coverage())).orElse("")));
    }

    /** A number as plain decimal text (no exponent) that parses back to the same double. */
    static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** One CSV record with its CRLF. */
    static String row(List<String> fields) {
        return fields.stream().map(ResultFiles::field).collect(Collectors.joining(",")) + "\r\n";
    }

    private static String field(String f) {
        if (f.contains(",") || f.contains("\"") || f.contains("\r") || f.contains("\n")) {
            return "\"" + f.replace("\"", "\"\"") + "\"";
        }
        return f;
    }

    /** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; LF alone ends a record too. */
    static List<List<String>> parseCsv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> current = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            any = true;
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                current.add(f.toString());
                f.setLength(0);
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                current.add(f.toString());
                f.setLength(0);
                rows.add(current);
                current = new ArrayList<>();
                any = false;
            } else {
                f.append(c);
            }
        }
        if (any) {
            current.add(f.toString());
            rows.add(current);
        }
        return rows;
    }
}
