package dev.kiln.cli.bench;

import static dev.kiln.cli.bench.Report.BREAKDOWN_SVG;
import static dev.kiln.cli.bench.Report.COLD;
import static dev.kiln.cli.bench.Report.WARM;
import static dev.kiln.cli.bench.Report.esc;
import static dev.kiln.cli.bench.Report.ms;
import static dev.kiln.cli.bench.Report.slug;

import dev.kiln.cli.bench.Report.Plot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedSet;

/**
 * The plots of the FunctionBench {@link Report}, written by hand as SVG 1.1 (no library, no script): latency against
 * memory size per workload, with kiln's medians and their confidence intervals, the native host time as a dashed line
 * and the published Lambda figures as hollow markers, each named with its source in the legend; and the cold start's
 * phases as stacked bars, one per workload. Each plot comes back as a {@link Plot}; {@link Report} puts it in the page
 * and writes it as a standalone file.
 */
final class Plots {
    static final int WIDTH = 820;
    private static final int LEFT = 76;
    private static final int RIGHT = 24;
    private static final int TOP = 58;
    private static final int HEIGHT = 320;
    private static final String KILN_WARM = "#1f5fa8";
    private static final String KILN_COLD = "#c62828";
    private static final String NATIVE = "#444444";
    private static final String FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";
    private static final List<String> SHAPES = List.of("triangle", "diamond", "triangle-down", "cross", "plus",
            "square");
    private static final List<String> PHASE_COLORS = List.of("#4e79a7", "#f28e2b", "#59a14f", "#e15759",
            "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#8cd17d",
            "#f1ce63");

    /** A median at a memory size, with its interval's ends (NaN when it has none). */
    private record Point(int memoryMb, double median, double low, double high) {
    }

    /** One legend entry: its marker drawn at (x, y), its label and, for published figures, its source. */
    private record Legend(String marker, String label, Optional<String> source) {
    }

    /** Maps values onto pixels, linearly or logarithmically. */
    private record Scale(double lo, double hi, boolean log, double from, double to) {
        double at(double v) {
            double t = log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
            return from + t * (to - from);
        }

        boolean shows(double v) {
            return Double.isFinite(v) && (!log || v > 0);
        }
    }

    private Plots() {
    }

    /** Latency against memory size for one workload; empty when there is nothing at all to draw. */
    static Optional<Plot> latency(String workload, Summary s, List<LambdaReference> refs, boolean tcg) {
        List<Point> warm = points(s, workload, WARM, Summary.Cell::inFunction);
        List<Point> cold = points(s, workload, COLD, Summary.Cell::client);
        Optional<Double> nat = s.nativeOf(workload);
        if (warm.isEmpty() && cold.isEmpty() && nat.isEmpty() && refs.isEmpty()) {
            return Optional.empty();
        }
        List<Double> values = new ArrayList<>();
        for (Point p : concat(warm, cold)) {
            values.addAll(List.of(p.median(), p.low(), p.high()));
        }
        nat.ifPresent(values::add);
        refs.forEach(r -> values.addAll(r.msByMemoryMb().values()));
        List<Double> finite = values.stream().filter(v -> Double.isFinite(v) && v >= 0).toList();
        double max = finite.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        double minPositive = finite.stream().filter(v -> v > 0).mapToDouble(Double::doubleValue).min().orElse(1);
        boolean log = max / minPositive > 20;
        double plotW = WIDTH - LEFT - RIGHT;
        Scale y;
        List<Double> yTicks;
        if (log) {
            double lo = minPositive / 1.5;
            double hi = max * 1.3;
            y = new Scale(lo, hi, true, TOP + HEIGHT, TOP);
            yTicks = logTicks(lo, hi);
        } else {
            yTicks = linearTicks(max > 0 ? max * 1.05 : 1);
            y = new Scale(0, yTicks.getLast(), false, TOP + HEIGHT, TOP);
        }
        SequencedSet<Integer> memories = new java.util.TreeSet<>();
        concat(warm, cold).forEach(p -> memories.add(p.memoryMb()));
        refs.forEach(r -> memories.addAll(r.msByMemoryMb().keySet()));
        double mLo = memories.isEmpty() ? 128 : memories.getFirst();
        double mHi = memories.isEmpty() ? 3008 : memories.getLast();
        Scale x = new Scale(mLo / 1.3, mHi * 1.3, true, LEFT, LEFT + plotW);

        StringBuilder body = new StringBuilder();
        frame(body, plotW, y, yTicks, "latency (ms" + (log ? ", log scale" : "") + ")");
        double lastLabel = -1e9;
        for (int m : memories) {
            double px = x.at(m);
            body.append(line(px, TOP + HEIGHT, px, TOP + HEIGHT + 5, "#999999", 1, ""));
            if (px - lastLabel >= 30) {
                body.append(text(px, TOP + HEIGHT + 19, Integer.toString(m), 11, "middle", "#333333", ""));
                lastLabel = px;
            }
        }
        body.append(text(LEFT + plotW / 2, TOP + HEIGHT + 38, "memory size (MB, log scale)", 12, "middle",
                "#333333", ""));
        List<Legend> legend = new ArrayList<>();
        nat.filter(y::shows).ifPresent(n -> {
            double py = y.at(n);
            body.append(line(LEFT, py, LEFT + plotW, py, NATIVE, 1.5, " stroke-dasharray=\"7 5\""));
            body.append(text(LEFT + plotW - 4, py - 5, "native on the host " + ms(n) + " ms", 11, "end",
                    NATIVE, ""));
            legend.add(new Legend(line(-12, 0, 12, 0, NATIVE, 1.5, " stroke-dasharray=\"7 5\""),
                    "native on this host: the function body without VM or emulation (median)", Optional.empty()));
        });
        for (int i = 0; i < refs.size(); i++) {
            LambdaReference r = refs.get(i);
            String color = referenceColor(r);
            String shape = SHAPES.get(i % SHAPES.size());
            List<double[]> pts = new ArrayList<>();
            r.msByMemoryMb().forEach((m, v) -> {
                if (y.shows(v)) {
                    pts.add(new double[] {x.at(m), y.at(v)});
                }
            });
            if (pts.size() > 1) {
                body.append(polyline(pts, color, 1, " stroke-dasharray=\"2 3\""));
            }
            pts.forEach(p -> body.append(marker(shape, p[0], p[1], color, false)));
            legend.add(new Legend(marker(shape, 0, 0, color, false), r.label(), Optional.of(r.source())));
        }
        series(body, cold, x, y, KILN_COLD, "square");
        series(body, warm, x, y, KILN_WARM, "circle");
        if (!cold.isEmpty()) {
            legend.addFirst(new Legend(marker("square", 0, 0, KILN_COLD, true),
                    "kiln cold, end to end at the client: median, 95 % CI", Optional.empty()));
        }
        if (!warm.isEmpty()) {
            legend.addFirst(new Legend(marker("circle", 0, 0, KILN_WARM, true),
                    "kiln warm, in-function (latency_s): median, 95 % CI", Optional.empty()));
        }
        if (warm.isEmpty() && cold.isEmpty()) {
            body.append(text(LEFT + plotW / 2, TOP + 24, "no valid kiln samples for " + workload, 13, "middle",
                    KILN_COLD, ""));
        }
        if (nat.isEmpty()) {
            legend.add(new Legend("", "not run natively on the host", Optional.empty()));
        }
        if (refs.isEmpty()) {
            legend.add(new Legend("", "no published Lambda figure for " + workload, Optional.empty()));
        }
        int yy = TOP + HEIGHT + 62;
        double textW = WIDTH - RIGHT - (LEFT + 34);
        for (Legend l : legend) {
            body.append("<g transform=\"translate(").append(LEFT + 14).append(',').append(yy - 4).append(")\">")
                    .append(l.marker()).append("</g>");
            for (String part : wrap(l.label(), 12, textW)) {
                body.append(text(LEFT + 34, yy, part, 12, "start", "#222222", ""));
                yy += 15;
            }
            if (l.source().isPresent()) {
                for (String part : wrap("source: " + l.source().get(), 10.5, textW)) {
                    body.append(text(LEFT + 34, yy - 1, part, 10.5, "start", "#666666", ""));
                    yy += 13;
                }
            }
            yy += 4;
        }
        String title = workload + ": latency against memory size";
        String subtitle = tcg ? "kiln under QEMU TCG (software CPU emulation): its times include the emulation"
                : "kiln's medians with 95 % confidence intervals; hollow markers: published Lambda figures";
        String svg = svg(yy + 6, title, subtitle, tcg, body);
        return Optional.of(new Plot("latency-" + slug(workload) + ".svg", workload
                + ": kiln's warm in-function and cold end-to-end medians against memory size"
                + (nat.isPresent() ? ", the native host time" : "")
                + (refs.isEmpty() ? " (no published Lambda figure)" : ", and the published Lambda figures with "
                + "their sources"), svg));
    }

    /** The memory size with cold phases for the most workloads; on a tie, the one nearest 1024 MB. */
    static Optional<Integer> breakdownMemory(Summary s) {
        Map<Integer, Long> counts = s.cells().stream()
                .filter(c -> c.key().mode().equals(COLD) && !c.phases().isEmpty())
                .collect(java.util.stream.Collectors.groupingBy(c -> c.key().memoryMb(),
                        java.util.stream.Collectors.counting()));
        return counts.keySet().stream().min((a, b) -> {
            int byCount = Long.compare(counts.get(b), counts.get(a));
            return byCount != 0 ? byCount
                    : Double.compare(Math.abs(Math.log(a / 1024.0)), Math.abs(Math.log(b / 1024.0)));
        });
    }

    /** The cold start's phases as stacked horizontal bars, one per workload, at one memory size. */
    static Plot breakdown(Summary s, int memoryMb, boolean tcg) {
        List<Summary.Cell> rows = s.cells().stream().filter(c -> c.key().memoryMb() == memoryMb
                && c.key().mode().equals(COLD) && !c.phases().isEmpty()).toList();
        List<String> phases = s.phases();
        int label = 170;
        double plotW = WIDTH - RIGHT - label - 230; // room on the right for each bar's handler and end to end
        double x0 = label;
        double max = 0;
        for (Summary.Cell c : rows) {
            max = Math.max(max, c.phases().values().stream().mapToDouble(MedianCi::median).sum());
        }
        List<Double> ticks = linearTicks(max > 0 ? max * 1.02 : 1);
        Scale x = new Scale(0, ticks.getLast(), false, x0, x0 + plotW);
        int bar = 24;
        int gap = 12;
        int plotH = rows.size() * (bar + gap) + gap;
        StringBuilder body = new StringBuilder();
        for (double t : ticks) {
            double px = x.at(t);
            body.append(line(px, TOP, px, TOP + plotH, "#e4e4e4", 1, ""));
            body.append(text(px, TOP + plotH + 16, tick(t), 11, "middle", "#333333", ""));
        }
        body.append(text(x0 + plotW / 2, TOP + plotH + 36, "ms (median of each phase, stacked)", 12, "middle",
                "#333333", ""));
        for (int i = 0; i < rows.size(); i++) {
            Summary.Cell c = rows.get(i);
            double top = TOP + gap + i * (bar + gap);
            body.append(text(x0 - 8, top + bar / 2.0 + 4, c.key().workload(), 12, "end", "#222222", ""));
            double at = 0;
            for (var e : c.phases().entrySet()) {
                double median = e.getValue().median();
                if (!(median > 0)) {
                    continue;
                }
                double a = x.at(at);
                double b = x.at(at + median);
                body.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#ffffff\""
                                + " stroke-width=\"0.8\"><title>%s</title></rect>",
                        a, top, b - a, bar, color(phases, e.getKey()), esc(e.getKey() + ": " + ms(median) + " ms")));
                if (b - a > 36) {
                    body.append(text((a + b) / 2, top + bar / 2.0 + 4, ms(median), 10, "middle", "#111111", ""));
                }
                at += median;
            }
            String after = "phases " + ms(at) + c.inFunction().map(m -> ", handler " + ms(m.median())).orElse("")
                    + c.client().map(m -> ", end to end " + ms(m.median())).orElse("") + " ms";
            body.append(text(x.at(at) + 6, top + bar / 2.0 + 4, after, 10.5, "start", "#333333", ""));
        }
        body.append(line(x0, TOP, x0, TOP + plotH, "#999999", 1, ""));
        double lx = LEFT;
        double ly = TOP + plotH + 62;
        for (String phase : phases) {
            double w = 26 + phase.length() * 7.2;
            if (lx + w > WIDTH - RIGHT) {
                lx = LEFT;
                ly += 18;
            }
            body.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
                    + "fill=\"%s\"/>", lx, ly - 10, color(phases, phase)));
            body.append(text(lx + 17, ly, phase, 11.5, "start", "#222222", ""));
            lx += w;
        }
        ly += 20;
        for (String note : wrap("Right of each bar: the sum of the phase medians, the handler's own time "
                + "(in-function median) and the median cold start end to end at the client; the medians of the "
                + "parts need not add up to the median of the whole.", 11, WIDTH - RIGHT - LEFT)) {
            body.append(text(LEFT, ly, note, 11, "start", "#555555", ""));
            ly += 14;
        }
        String subtitle = tcg ? "kiln under QEMU TCG (software CPU emulation): the guest's phases are emulated"
                : "medians of the valid cold samples";
        String svg = svg((int) ly + 8, "Cold-start breakdown at " + memoryMb + " MB", subtitle, tcg, body);
        return new Plot(BREAKDOWN_SVG, "The cold start's phases at " + memoryMb
                + " MB: the median of each phase, stacked; beside each bar the handler's time and the median "
                + "cold end-to-end time", svg);
    }

    private static String color(List<String> phases, String phase) {
        return PHASE_COLORS.get(phases.indexOf(phase) % PHASE_COLORS.size());
    }

    /** Text cut into lines of at most {@code width} pixels, by an estimate of DejaVu Sans's mean glyph width. */
    static List<String> wrap(String text, double size, double width) {
        int perLine = Math.max(10, (int) (width / (size * 0.57)));
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > perLine) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    private static List<Point> points(Summary s, String workload, String mode,
                                      java.util.function.Function<Summary.Cell, Optional<MedianCi>> metric) {
        List<Point> out = new ArrayList<>();
        for (int m : s.memorySizes()) {
            s.cell(workload, m, mode).flatMap(metric).filter(ci -> Double.isFinite(ci.median()))
                    .ifPresent(ci -> out.add(new Point(m, ci.median(), ci.low(), ci.high())));
        }
        return out;
    }

    private static List<Point> concat(List<Point> a, List<Point> b) {
        List<Point> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static void series(StringBuilder body, List<Point> pts, Scale x, Scale y, String color, String shape) {
        List<double[]> line = new ArrayList<>();
        for (Point p : pts) {
            if (!y.shows(p.median())) {
                continue;
            }
            double px = x.at(p.memoryMb());
            line.add(new double[] {px, y.at(p.median())});
            if (y.shows(p.low()) && y.shows(p.high())) {
                double a = y.at(p.low());
                double b = y.at(p.high());
                body.append(line(px, a, px, b, color, 1.3, ""));
                body.append(line(px - 4, a, px + 4, a, color, 1.3, ""));
                body.append(line(px - 4, b, px + 4, b, color, 1.3, ""));
            }
        }
        if (line.size() > 1) {
            body.append(polyline(line, color, 2, ""));
        }
        line.forEach(p -> body.append(marker(shape, p[0], p[1], color, true)));
    }

    private static void frame(StringBuilder body, double plotW, Scale y, List<Double> ticks, String yTitle) {
        for (double t : ticks) {
            if (!y.shows(t)) {
                continue;
            }
            double py = y.at(t);
            body.append(line(LEFT, py, LEFT + plotW, py, "#e4e4e4", 1, ""));
            body.append(text(LEFT - 6, py + 4, tick(t), 11, "end", "#333333", ""));
        }
        body.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"none\""
                + " stroke=\"#999999\"/>", LEFT, TOP, plotW, HEIGHT));
        body.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"0\" transform=\"translate(%d %.1f) rotate(-90)\""
                + " font-size=\"12\" text-anchor=\"middle\" fill=\"#333333\">%s</text>", 18, TOP + HEIGHT / 2.0,
                esc(yTitle)));
    }

    private static String svg(int height, String title, String subtitle, boolean tcg, StringBuilder body) {
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\" role=\"img\"><title>%s</title>"
                + "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", WIDTH, height, WIDTH, height, FONT,
                esc(title), WIDTH, height)
                + text(LEFT, 24, title, 15, "start", "#111111", " font-weight=\"bold\"")
                + text(LEFT, 43, subtitle, 12, "start", tcg ? KILN_COLD : "#555555",
                        tcg ? " font-weight=\"bold\"" : "")
                + body + "</svg>";
    }

    private static String referenceColor(LambdaReference r) {
        if (r.metric().inFunction()) {
            return r.relation() == LambdaReference.Relation.CPU_BOUND ? "#6baed6" : "#08519c";
        }
        if (r.metric() == LambdaReference.Metric.CLIENT) {
            return r.start() == LambdaReference.Start.COLD ? "#e6550d" : "#31a354";
        }
        return "#756bb1";
    }

    private static String marker(String shape, double x, double y, String color, boolean filled) {
        String paint = String.format(Locale.ROOT, " fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"",
                filled ? color : "#ffffff", color, filled ? "1" : "1.8");
        return switch (shape) {
            case "circle" -> String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"%s/>", x, y,
                    paint);
            case "square" -> String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\"%s/>",
                    x - 4, y - 4, paint);
            case "triangle" -> path(paint, x, y - 6, x + 5.5, y + 4, x - 5.5, y + 4);
            case "triangle-down" -> path(paint, x, y + 6, x + 5.5, y - 4, x - 5.5, y - 4);
            case "diamond" -> path(paint, x, y - 6, x + 6, y, x, y + 6, x - 6, y);
            case "cross" -> String.format(Locale.ROOT, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\""
                    + " fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", x - 5, y - 5, x + 5, y + 5, x - 5, y + 5,
                    x + 5, y - 5, color);
            case "plus" -> String.format(Locale.ROOT, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\""
                    + " fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", x - 6, y, x + 6, y, x, y - 6, x, y + 6,
                    color);
            default -> throw new IllegalArgumentException("no marker " + shape);
        };
    }

    private static String path(String paint, double... xy) {
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < xy.length; i += 2) {
            d.append(i == 0 ? 'M' : 'L').append(String.format(Locale.ROOT, "%.1f %.1f", xy[i], xy[i + 1]));
        }
        return "<path d=\"" + d + "Z\"" + paint + "/>";
    }

    private static String polyline(List<double[]> pts, String color, double width, String extra) {
        String points = pts.stream().map(p -> String.format(Locale.ROOT, "%.1f,%.1f", p[0], p[1]))
                .collect(java.util.stream.Collectors.joining(" "));
        return String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                + "stroke-width=\"%s\"%s/>", points, color, width, extra);
    }

    private static String line(double x1, double y1, double x2, double y2, String color, double width,
                               String extra) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                + "stroke-width=\"%s\"%s/>", x1, y1, x2, y2, color, width, extra);
    }

    private static String text(double x, double y, String s, double size, String anchor, String color,
                               String extra) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%s\" text-anchor=\"%s\" "
                + "fill=\"%s\"%s>%s</text>", x, y, size, anchor, color, extra, esc(s));
    }

    /** Within [lo, hi]: 1, 2 and 5 times the powers of ten over at most three decades, else the powers alone. */
    static List<Double> logTicks(double lo, double hi) {
        int a = (int) Math.floor(Math.log10(lo));
        int b = (int) Math.ceil(Math.log10(hi));
        boolean dense = Math.log10(hi / lo) <= 3;
        List<Double> out = new ArrayList<>();
        for (int e = a; e <= b; e++) {
            double d = Math.pow(10, e);
            for (double t : dense ? new double[] {d, 2 * d, 5 * d} : new double[] {d}) {
                if (t >= lo && t <= hi) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** Ticks from 0 in steps of 1, 2, 2.5 or 5 times a power of ten, the last at or above max. */
    static List<Double> linearTicks(double max) {
        double raw = max / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = 10 * magnitude;
        for (double f : new double[] {1, 2, 2.5, 5, 10}) {
            if (f * magnitude >= raw) {
                step = f * magnitude;
                break;
            }
        }
        List<Double> out = new ArrayList<>();
        for (int i = 0; i == 0 || out.getLast() < max; i++) {
            out.add(i * step);
        }
        return out;
    }

    private static String tick(double v) {
        if (v == 0) {
            return "0";
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString();
    }
}
