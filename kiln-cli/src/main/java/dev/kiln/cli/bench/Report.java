package dev.kiln.cli.bench;

import dev.kiln.cli.CliException;
import dev.kiln.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;

/**
 * The FunctionBench report: {@value #REPORT_HTML}, one self-contained page (inline CSS and SVG, no script, nothing
 * fetched), and each of its plots also as a standalone SVG file beside it. The plots ({@link Plots}) are written by
 * hand as SVG: latency against memory size per workload, with the published Lambda figures as distinct markers (each
 * named with its source in the legend), and the cold start's phases as stacked bars. Under TCG a warning box comes
 * first, with the function bodies' native times on the host and the emulation factor, so emulation is not mistaken
 * for kiln. Missing data shows as "–".
 */
public final class Report {
    public static final String REPORT_HTML = "report.html";
    public static final String BREAKDOWN_SVG = "cold-start-breakdown.svg";
    static final String NONE = "–";

    static final String COLD = "cold";
    static final String WARM = "warm";

    /** One plot: its file name, its caption and its SVG text (without the XML declaration). */
    record Plot(String file, String caption, String svg) {
    }

    private Report() {
    }

    /** Writes report.html and its SVG files into {@code dir}; returns the page's path. */
    public static Path write(Path dir, ResultFiles.Results run) {
        Summary summary = run.summary();
        List<Plot> plots = new ArrayList<>();
        boolean tcg = run.environment().accelerator() == Environment.Accelerator.TCG;
        for (String workload : summary.workloads()) {
            Plots.latency(workload, summary, LambdaReference.forWorkload(workload), tcg).ifPresent(plots::add);
        }
        Optional<Integer> breakdownAt = Plots.breakdownMemory(summary);
        breakdownAt.ifPresent(m -> plots.add(Plots.breakdown(summary, m, tcg)));
        try {
            Files.createDirectories(dir);
            for (Plot p : plots) {
                Files.writeString(dir.resolve(p.file()), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + p.svg());
            }
            Path page = dir.resolve(REPORT_HTML);
            Files.writeString(page, html(run, summary, plots, breakdownAt));
            return page;
        } catch (IOException e) {
            throw new CliException("BENCH_REPORT_UNWRITABLE", "cannot write the report into " + dir + ": " + e,
                    "check that the directory is writable and the disk has room", ExitCodes.FAILURE, e);
        }
    }

    static String html(ResultFiles.Results run, Summary summary, List<Plot> plots, Optional<Integer> breakdownAt) {
        Environment env = run.environment();
        List<LambdaReference> shown = summary.workloads().stream()
                .flatMap(w -> LambdaReference.forWorkload(w).stream()).distinct().toList();
        List<String> sources = shown.stream().map(LambdaReference::source).distinct().toList();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>FunctionBench on kiln: ")
                .append(esc(env.driver())).append(", ").append(accelerator(env)).append("</title>\n<style>\n")
                .append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>FunctionBench on kiln</h1>\n<p class=\"lead\">").append(esc(env.driver())).append(" driver, ")
                .append(accelerator(env)).append(", input size ").append(esc(size(env))).append(", ")
                .append(esc(date(env))).append(env.quick() ? ", quick run" : "").append(".</p>\n");
        if (env.accelerator() == Environment.Accelerator.TCG) {
            tcgWarning(h, summary);
        } else if (env.accelerator() == Environment.Accelerator.NONE) {
            h.append("<div class=\"note\"><strong>No hypervisor:</strong> this run used a driver without a VM; its "
                    + "times say nothing about microVMs.</div>\n");
        }
        environment(h, env);
        summaryTable(h, summary, sources);
        h.append("<h2 id=\"plots\">Latency against memory size</h2>\n<p>Filled markers are kiln's medians (whiskers: "
                + "95&nbsp;% confidence interval of the median); hollow markers are published AWS Lambda figures, "
                + "each named with its source in the legend; the dashed line is the function body run natively on "
                + "this host. A blue kiln series compares with blue Lambda markers (in-function time), a red one "
                + "with red markers (cold, end to end).</p>\n");
        for (Plot p : plots) {
            if (!p.file().equals(BREAKDOWN_SVG)) {
                figure(h, p);
            }
        }
        h.append("<h2 id=\"cold-start\">Cold-start breakdown</h2>\n");
        Optional<Plot> breakdown = plots.stream().filter(p -> p.file().equals(BREAKDOWN_SVG)).findFirst();
        if (breakdown.isPresent()) {
            h.append("<p>Median of each phase of the valid cold starts at ").append(breakdownAt.orElseThrow())
                    .append("&nbsp;MB (the memory size with cold phases for the most workloads). The medians of the "
                            + "phases need not add up to the median of the whole. Beside each bar: the handler's own "
                            + "time (in-function median) and the median cold end-to-end time at the client; what "
                            + "neither the phases nor the handler cover is the invocation's path through kiln, the "
                            + "network and the client.</p>\n");
            figure(h, breakdown.get());
        } else {
            h.append("<p>").append(NONE).append(" (no valid cold sample recorded phases)</p>\n");
        }
        discarded(h, run.samples());
        h.append("<h2 id=\"sources\">Sources of the Lambda figures</h2>\n");
        if (shown.isEmpty()) {
            h.append("<p>").append(NONE).append(" (no published figure for these workloads)</p>\n");
        } else {
            h.append("<ol>\n");
            for (String source : sources) {
                h.append("<li id=\"src-").append(sources.indexOf(source) + 1).append("\">").append(esc(source))
                        .append("<ul>");
                shown.stream().filter(f -> f.source().equals(source)).forEach(f -> h.append("<li>")
                        .append(esc(f.label())).append(" &rarr; ").append(esc(f.workload().orElse(NONE)))
                        .append("</li>"));
                h.append("</ul></li>\n");
            }
            h.append("</ol>\n");
        }
        h.append(METHOD);
        h.append("<h2 id=\"files\">Files</h2>\n<ul>\n");
        for (String f : List.of(ResultFiles.SAMPLES_CSV, ResultFiles.SUMMARY_CSV, ResultFiles.RESULTS_JSON)) {
            h.append("<li><a href=\"").append(esc(f)).append("\">").append(esc(f)).append("</a></li>\n");
        }
        plots.forEach(p -> h.append("<li><a href=\"").append(esc(p.file())).append("\">").append(esc(p.file()))
                .append("</a></li>\n"));
        h.append("</ul>\n<p class=\"small\">Written by kiln ").append(esc(env.kilnVersion()))
                .append(". Regenerate with <code>kiln bench functionbench --report-only DIR</code>.</p>\n");
        return h.append("</body>\n</html>\n").toString();
    }

    private static void tcgWarning(StringBuilder h, Summary summary) {
        h.append("<div class=\"warning\" id=\"tcg-warning\">\n<h2>Emulated CPU: QEMU TCG, not KVM</h2>\n<p>This run had "
                + "no usable KVM, so QEMU emulated every guest instruction in software (TCG). kiln's in-function times "
                + "and its cold starts include that emulation: they are <strong>not kiln's overhead</strong> and do "
                + "not compare with AWS Lambda, which runs on hardware virtualization. The same function bodies run "
                + "natively on this host show what emulation costs:</p>\n<table>\n<tr><th>workload</th>"
                + "<th>native on the host (median, ms)</th><th>kiln warm in-function (lowest median over memory "
                + "sizes, ms)</th><th>emulation factor (kiln / native)</th></tr>\n");
        for (String w : summary.workloads()) {
            Optional<Double> nat = summary.nativeOf(w);
            Optional<Summary.Cell> best = summary.cells().stream()
                    .filter(c -> c.key().workload().equals(w) && c.key().mode().equals(WARM) && c.inFunction().isPresent())
                    .min((a, b) -> Double.compare(a.inFunction().get().median(), b.inFunction().get().median()));
            h.append("<tr><td>").append(esc(w)).append("</td><td class=\"num\">")
                    .append(nat.map(Report::ms).orElse(NONE)).append("</td><td class=\"num\">")
                    .append(best.map(c -> ms(c.inFunction().get().median()) + " (" + c.key().memoryMb() + " MB)")
                            .orElse(NONE))
                    .append("</td><td class=\"num\">")
                    .append(factor(best.flatMap(Summary.Cell::inFunction), nat)).append("</td></tr>\n");
        }
        h.append("</table>\n<p>The factor also holds the slot's CPU share at its memory size and the guest's own "
                + "differences; with KVM it would be close to 1 for CPU-bound work.</p>\n</div>\n");
    }

    private static void environment(StringBuilder h, Environment env) {
        Environment.Host host = env.host();
        SequencedMap<String, String> rows = new LinkedHashMap<>();
        rows.put("kiln", env.kilnVersion());
        rows.put("driver", env.driver());
        rows.put("accelerator", switch (env.accelerator()) {
            case KVM -> "KVM (hardware virtualization)";
            case TCG -> "TCG (QEMU software emulation; no KVM)";
            case NONE -> "none (no hypervisor)";
            case UNKNOWN -> "unknown (the daemon did not say)";
        });
        rows.put("host CPU", host.cpuModel());
        rows.put("host cores", host.cores() > 0 ? Integer.toString(host.cores()) : NONE);
        rows.put("host memory", host.memoryBytes() > 0
                ? String.format(Locale.ROOT, "%.1f GiB", host.memoryBytes() / (double) (1L << 30)) : NONE);
        rows.put("kernel", host.kernel());
        rows.put("date", date(env));
        rows.put("input size", size(env));
        rows.put("quick run", env.quick() ? "yes (fewer memory sizes and repetitions)" : "no");
        rows.put("command line", env.commandLine().isEmpty() ? NONE : String.join(" ", env.commandLine()));
        h.append("<h2 id=\"environment\">Environment</h2>\n<table class=\"env\">\n");
        rows.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>")
                .append(k.equals("command line") ? "<code>" + esc(v) + "</code>" : esc(v)).append("</td></tr>\n"));
        h.append("</table>\n");
    }

    private static void summaryTable(StringBuilder h, Summary summary, List<String> sources) {
        h.append("<h2 id=\"summary\">Summary</h2>\n<p>Medians of the valid samples in ms, with the 95&nbsp;% "
                + "confidence interval of the median (order statistics; " + NONE + " with fewer than 6 samples). "
                + "Lambda figures are given like for like: beside kiln's warm rows the warm in-function ones (and "
                + "warm end-to-end, marked), beside cold rows the cold end-to-end ones.</p>\n<table class=\"summary\">\n"
                + "<tr><th>workload</th><th>memory (MB)</th><th>mode</th><th>n</th><th>discarded</th>"
                + "<th>in-function median</th><th>95&nbsp;% CI</th><th>end-to-end median</th><th>95&nbsp;% CI</th>"
                + "<th>Lambda figure (source)</th><th>native on the host</th><th>kiln in-function / native</th></tr>\n");
        SequencedSet<String> modes = new LinkedHashSet<>(List.of(COLD, WARM));
        summary.cells().forEach(c -> modes.add(c.key().mode()));
        List<Integer> memories = summary.memorySizes();
        for (String w : summary.workloads()) {
            Optional<Double> nat = summary.nativeOf(w);
            if (memories.isEmpty()) {
                h.append("<tr id=\"row-").append(esc(slug(w))).append("\"><td>").append(esc(w)).append("</td>")
                        .append(("<td>" + NONE + "</td>").repeat(9)).append("<td class=\"num\">")
                        .append(nat.map(Report::ms).orElse(NONE)).append("</td><td>").append(NONE)
                        .append("</td></tr>\n");
                continue;
            }
            for (int m : memories) {
                for (String mode : modes) {
                    Optional<Summary.Cell> cell = summary.cell(w, m, mode);
                    Optional<MedianCi> in = cell.flatMap(Summary.Cell::inFunction);
                    Optional<MedianCi> client = cell.flatMap(Summary.Cell::client);
                    h.append("<tr id=\"row-").append(esc(slug(w))).append('-').append(m).append('-')
                            .append(esc(slug(mode))).append("\"><td>").append(esc(w)).append("</td><td class=\"num\">")
                            .append(m).append("</td><td>").append(esc(mode)).append("</td><td class=\"num\">")
                            .append(cell.map(c -> Integer.toString(c.valid())).orElse(NONE))
                            .append("</td><td class=\"num\">")
                            .append(cell.map(c -> Integer.toString(c.discarded())).orElse(NONE))
                            .append("</td><td class=\"num median\">").append(in.map(x -> ms(x.median())).orElse(NONE))
                            .append("</td><td class=\"num\">").append(ci(in)).append("</td><td class=\"num\">")
                            .append(client.map(x -> ms(x.median())).orElse(NONE)).append("</td><td class=\"num\">")
                            .append(ci(client)).append("</td><td>").append(lambdaCell(w, m, mode, sources))
                            .append("</td><td class=\"num\">").append(nat.map(Report::ms).orElse(NONE))
                            .append("</td><td class=\"num\">").append(factor(in, nat)).append("</td></tr>\n");
                }
            }
        }
        h.append("</table>\n");
    }

    private static String lambdaCell(String workload, int memoryMb, String mode, List<String> sources) {
        List<String> parts = new ArrayList<>();
        for (LambdaReference f : LambdaReference.forWorkload(workload)) {
            boolean fits = mode.equals(COLD) ? f.start() == LambdaReference.Start.COLD
                    : mode.equals(WARM) && f.start() != LambdaReference.Start.COLD;
            if (!fits) {
                continue;
            }
            f.at(memoryMb).ifPresent(v -> parts.add("<span title=\"" + esc(f.source()) + "\">" + ms(v)
                    + " <span class=\"src\">" + esc(f.start().label() + " " + f.metric().label() + ", " + f.benchmark())
                    + "</span><sup><a href=\"#src-" + (sources.indexOf(f.source()) + 1) + "\">"
                    + (sources.indexOf(f.source()) + 1) + "</a></sup></span>"));
        }
        return parts.isEmpty() ? NONE : String.join("<br>", parts);
    }

    private static void discarded(StringBuilder h, List<Sample> samples) {
        h.append("<h2 id=\"discarded\">Discarded samples</h2>\n");
        SequencedMap<List<String>, Integer> problems = new LinkedHashMap<>();
        samples.stream().filter(s -> !s.valid()).forEach(s -> problems.merge(List.of(s.workload(),
                Integer.toString(s.memoryMb()), s.mode(), s.problem().orElseThrow()), 1, Integer::sum));
        if (problems.isEmpty()) {
            h.append("<p>None: every invocation succeeded, passed its check and had the cold flag of its mode.</p>\n");
            return;
        }
        h.append("<p>").append(problems.values().stream().mapToInt(Integer::intValue).sum())
                .append(" samples were left out of the medians:</p>\n<table>\n<tr><th>workload</th><th>memory (MB)"
                        + "</th><th>mode</th><th>samples</th><th>problem</th></tr>\n");
        problems.forEach((k, n) -> h.append("<tr><td>").append(esc(k.get(0))).append("</td><td class=\"num\">")
                .append(esc(k.get(1))).append("</td><td>").append(esc(k.get(2))).append("</td><td class=\"num\">")
                .append(n).append("</td><td>").append(esc(k.get(3))).append("</td></tr>\n"));
        h.append("</table>\n");
    }

    private static void figure(StringBuilder h, Plot p) {
        h.append("<figure>\n").append(p.svg()).append("\n<figcaption>").append(esc(p.caption()))
                .append(" (<a href=\"").append(esc(p.file())).append("\">").append(esc(p.file()))
                .append("</a>)</figcaption>\n</figure>\n");
    }

    private static String accelerator(Environment env) {
        return switch (env.accelerator()) {
            case KVM -> "KVM";
            case TCG -> "TCG emulation";
            case NONE -> "no hypervisor";
            case UNKNOWN -> "accelerator unknown";
        };
    }

    private static String size(Environment env) {
        return env.inputSize().name().toLowerCase(Locale.ROOT);
    }

    private static String date(Environment env) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC)
                .format(env.date());
    }

    private static String ci(Optional<MedianCi> m) {
        return m.filter(x -> x.lowRank() > 0).map(x -> "[" + ms(x.low()) + ", " + ms(x.high()) + "]").orElse(NONE);
    }

    private static String factor(Optional<MedianCi> kiln, Optional<Double> nat) {
        if (kiln.isEmpty() || nat.isEmpty() || !(nat.get() > 0)) {
            return NONE;
        }
        return String.format(Locale.ROOT, "%.1f&times;", kiln.get().median() / nat.get());
    }

    /** A time in ms with the precision that matters: 1234, 12.3, 1.23. */
    static String ms(double v) {
        if (Double.isNaN(v)) {
            return NONE;
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
    }

    /** A name made safe for a file name or an id. */
    static String slug(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]+", "-");
        return s.isEmpty() ? "x" : s;
    }

    /** Text escaped for HTML and XML, in element content and in quoted attributes alike. */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // XML 1.0 forbids most control characters even as references: leave them out
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static final String CSS = """
            body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
                   color: #222; line-height: 1.45; }
            h1 { margin-bottom: 0.2em; }
            .lead { color: #555; margin-top: 0; }
            table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
            th, td { border: 1px solid #ccc; padding: 3px 7px; vertical-align: top; }
            th { background: #f2f2f2; text-align: left; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.env th { width: 11em; }
            .src { color: #666; font-size: 0.85em; }
            .warning { border: 3px solid #c62828; background: #fff3f0; padding: 0.4em 1.2em 0.8em; margin: 1em 0 1.5em; }
            .warning h2 { color: #b71c1c; margin-top: 0.4em; }
            .note { border: 2px solid #999; background: #f6f6f6; padding: 0.6em 1em; margin: 1em 0; }
            figure { margin: 1.2em 0; }
            figcaption { color: #555; font-size: 0.9em; }
            figure svg { max-width: 100%; height: auto; }
            .small { color: #777; font-size: 0.85em; }
            code { background: #f4f4f4; padding: 0 3px; }
            """;

    private static final String METHOD = """
            <h2 id="method">Method</h2>
            <ul>
            <li>Each workload runs as a function in kiln's microVMs at every memory size, in two modes, as SeBS
            measures them. <strong>Cold</strong>: kiln is made to start a new sandbox before each invocation. The
            function writes a marker file in its sandbox at its first invocation, so every sample says whether it
            really was the sandbox's first; a sample whose cold flag does not match its mode is discarded, as is one
            that failed or whose output failed the workload's check. <strong>Warm</strong>: repeated invocations of an
            idle sandbox.</li>
            <li>Times: <em>in-function</em> is the handler's own time for its computation (FunctionBench's
            <code>latency_s</code>); <em>end to end</em> is at the client, from the request sent to the answer read.
            They are compared like with like: kiln's in-function time with Lambda's in-function figures (SeBS's
            <code>exec</code>, Lambda's duration), kiln's cold end-to-end time with Lambda's cold <code>client</code>
            figures.</li>
            <li>Each cell reports the median of its valid samples and the median's 95&nbsp;% confidence interval from
            order statistics (distribution-free; at least 95&nbsp;% coverage, none with fewer than 6 samples).
            Discarded samples are counted, listed, and left out of the medians.</li>
            <li>The Lambda figures are published ones, not measured here: SeBS's benchmarks are the closest to the
            FunctionBench workloads but not the same code or inputs, the CPU-bound references are different
            functions altogether, and the hardware differs. Each keeps its source. Lambda gives a function CPU in
            proportion to its memory (one full vCPU at 1,769&nbsp;MB), so its times fall with memory up to about
            1&ndash;1.5&nbsp;GB; compare the shape of the curves more than single values.</li>
            <li>The native time is the same handler body run by the host's <code>python3</code>, outside any VM,
            at the same input size.</li>
            </ul>
            """;
}
