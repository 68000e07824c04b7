package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The report from synthetic samples: its sections, its plots as well-formed SVG, and medians it should show. */
class ReportTest {
    static final String PROBLEM = "cold flag false in cold mode, said \"warm\" <b>&";

    /**
     * Three workloads at 512 and 1024 MB, cold and warm, 7 repetitions each. Warm in-function times at 1024 MB are
     * base + 0..6 (median base + 3), at 512 MB twice that; cold clients are 10 times the warm in-function ones plus
     * phases. image_processing has no warm samples at 512 MB; gzip_compression has no native time. One cold sample of
     * float_operation at 1024 MB is discarded (its cold flag does not match) with an outlying time.
     */
    static ResultFiles.Results run(Environment.Accelerator accelerator) {
        List<Sample> samples = new ArrayList<>();
        Map<String, Double> bases = Map.of("float_operation", 100.0, "image_processing", 200.0,
                "gzip_compression", 3000.0);
        for (String w : List.of("float_operation", "image_processing", "gzip_compression")) {
            for (int memory : List.of(512, 1024)) {
                double base = bases.get(w) * (memory == 512 ? 2 : 1);
                for (int rep = 0; rep < 7; rep++) {
                    Map<String, Double> phases = new LinkedHashMap<>();
                    phases.put("vmmStart", 40.0 + rep);
                    phases.put("kernelBoot", 900.0 + rep);
                    phases.put("agentReady", 150.0 + rep);
                    phases.put("codeReady", 20.0 + rep);
                    phases.put("runtimeInit", 300.0 + rep);
                    double inFunction = base + rep;
                    samples.add(new Sample(w, memory, "cold", rep, true, "fresh", inFunction, inFunction + 1,
                            1500 + 10 * inFunction, Optional.of(300.0 + rep), phases, 50_000, Optional.empty()));
                    if (!(w.equals("image_processing") && memory == 512)) {
                        samples.add(new Sample(w, memory, "warm", rep, false, "warm", inFunction, inFunction + 1,
                                inFunction + 20, Optional.empty(), Map.of(), 50_000, Optional.empty()));
                    }
                }
            }
        }
        samples.add(new Sample("float_operation", 1024, "cold", 7, false, "warm", 99_999, 99_999, 99_999,
                Optional.empty(), Map.of(), 50_000, Optional.of(PROBLEM)));
        Environment env = new Environment("0.1.0-test", "qemu", accelerator,
                new Environment.Host("AMD EPYC <test>", 2, 8L << 30, "6.1.0"), Instant.parse("2025-01-02T03:04:05Z"),
                Workloads.Size.TEST, true, "kiln bench functionbench --quick --out 'a dir'");
        return new ResultFiles.Results(env, samples, Map.of("float_operation", 11.0, "image_processing", 50.0));
    }

    private static String row(String html, String id) {
        Matcher m = Pattern.compile("<tr id=\"" + Pattern.quote(id) + "\">(.*?)</tr>").matcher(html);
        assertThat(m.find()).as("row " + id).isTrue();
        return m.group(1);
    }

    private static List<String> cells(String row) {
        Matcher m = Pattern.compile("<td[^>]*>(.*?)</td>").matcher(row);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static Document xml(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(Files.readAllBytes(file)));
    }

    private static String svgText(Path file) throws Exception {
        NodeList texts = xml(file).getElementsByTagNameNS("*", "text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) {
            out.add(texts.item(i).getTextContent());
        }
        return String.join(" ", out);
    }

    @Test
    void tcgRunWarnsAndShowsTheNativeTimesAndEmulationFactor(@TempDir Path dir) throws Exception {
        Path page = Report.write(dir, run(Environment.Accelerator.TCG));
        assertThat(page).isEqualTo(dir.resolve(Report.REPORT_HTML)).exists();
        String html = Files.readString(page);
        assertThat(html).contains("id=\"tcg-warning\"", "Emulated CPU: QEMU TCG, not KVM");
        assertThat(html.indexOf("tcg-warning")).as("the warning comes before the environment and the numbers")
                .isLessThan(html.indexOf("id=\"environment\""));
        String warning = html.substring(html.indexOf("tcg-warning"), html.indexOf("</div>", html.indexOf("tcg-warning")));
        // float_operation: native median 11, lowest warm median 103 at 1024 MB: 9.4x
        assertThat(warning).contains("<td>float_operation</td><td class=\"num\">11.0</td>"
                + "<td class=\"num\">103 (1024 MB)</td><td class=\"num\">9.4&times;</td>");
        assertThat(warning).contains("<td>gzip_compression</td><td class=\"num\">–</td>");
        assertThat(html).contains("AMD EPYC &lt;test&gt;", "TCG (QEMU software emulation; no KVM)");
        assertThat(Files.readString(dir.resolve("latency-float_operation.svg"))).contains("QEMU TCG");
    }

    @Test
    void kvmRunHasNoWarning(@TempDir Path dir) throws Exception {
        String html = Files.readString(Report.write(dir, run(Environment.Accelerator.KVM)));
        assertThat(html).doesNotContain("tcg-warning").doesNotContain("Emulated CPU").contains("KVM (hardware");
        assertThat(Files.readString(dir.resolve("latency-float_operation.svg"))).doesNotContain("TCG");
    }

    @Test
    void everyPlotIsWellFormedSvgWithItsData(@TempDir Path dir) throws Exception {
        String html = Files.readString(Report.write(dir, run(Environment.Accelerator.TCG)));
        List<Path> svgs;
        try (Stream<Path> files = Files.list(dir)) {
            svgs = files.filter(p -> p.toString().endsWith(".svg")).sorted().toList();
        }
        assertThat(svgs).extracting(p -> p.getFileName().toString()).containsExactly("cold-start-breakdown.svg",
                "latency-float_operation.svg", "latency-gzip_compression.svg", "latency-image_processing.svg");
        for (Path svg : svgs) {
            Document doc = xml(svg);
            assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
            assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
            assertThat(html).as("inlined in the page: " + svg).contains(Files.readString(svg).substring(
                    Files.readString(svg).indexOf("<svg")));
            if (svg.getFileName().toString().startsWith("latency-")) {
                // kiln's warm and cold series over two memory sizes
                assertThat(doc.getElementsByTagNameNS("*", "polyline").getLength()).as(svg.toString())
                        .isGreaterThanOrEqualTo(2);
                assertThat(doc.getElementsByTagNameNS("*", "circle").getLength()).as(svg.toString())
                        .isGreaterThanOrEqualTo(1);
            } else {
                // the background, 3 workloads x 5 phases, the legend's 5 boxes
                assertThat(doc.getElementsByTagNameNS("*", "rect").getLength()).isEqualTo(1 + 3 * 5 + 5);
                // float_operation at 1024 MB: phases 43 + 903 + 153 + 23 + 303, handler 103, end to end 2530
                assertThat(svgText(svg)).contains("Cold-start breakdown at 1024 MB", "kernelBoot",
                        "phases 1425, handler 103, end to end 2530 ms");
            }
        }
        // a plot's dashed native line, and its label
        assertThat(Files.readString(dir.resolve("latency-float_operation.svg")))
                .contains("stroke-dasharray=\"7 5\"", "native on the host 11.0 ms");
        assertThat(Files.readString(dir.resolve("latency-gzip_compression.svg"))).doesNotContain("native on the host");
    }

    @Test
    void lambdaFiguresAppearWithTheirSources(@TempDir Path dir) throws Exception {
        String html = Files.readString(Report.write(dir, run(Environment.Accelerator.KVM)));
        assertThat(html).contains(Report.esc(LambdaReference.SEBS), Report.esc(LambdaReference.AWS_PRIME),
                Report.esc(LambdaReference.EPSAGON), "CPU-bound reference, not the same function");
        // the thumbnailer's warm exec at 1024 MB beside image_processing's warm row, its source numbered and linked
        String warm = row(html, "row-image_processing-1024-warm");
        assertThat(warm).contains("186 <span class=\"src\">warm exec (in function), SeBS 210.thumbnailer, Python")
                .contains("title=\"" + Report.esc(LambdaReference.SEBS) + "\"").containsPattern("href=\"#src-\\d\"");
        assertThat(row(html, "row-image_processing-1024-cold")).contains("1730 <span class=\"src\">cold client");
        assertThat(cells(row(html, "row-gzip_compression-1024-warm")).get(9))
                .contains("2948").doesNotContain("10956");
        // the legend wraps long lines: its text, line after line
        assertThat(svgText(dir.resolve("latency-image_processing.svg"))).contains("source: " + LambdaReference.SEBS,
                "Lambda warm exec (in function): SeBS 210.thumbnailer, Python");
        assertThat(svgText(dir.resolve("latency-float_operation.svg")))
                .contains("source: " + LambdaReference.EPSAGON, "not the same function");
    }

    @Test
    void summaryTableHasTheExpectedMediansAndCountsTheDiscarded(@TempDir Path dir) throws Exception {
        String html = Files.readString(Report.write(dir, run(Environment.Accelerator.TCG)));
        // workload, memory, mode, n, discarded, in-function median, CI, end-to-end median, CI, Lambda, native, factor
        List<String> warm = cells(row(html, "row-float_operation-1024-warm"));
        assertThat(warm.subList(0, 9)).containsExactly("float_operation", "1024", "warm", "7", "0", "103",
                "[100, 106]", "123", "[120, 126]");
        assertThat(warm.get(10)).isEqualTo("11.0");
        assertThat(warm.get(11)).isEqualTo("9.4&times;");
        List<String> cold = cells(row(html, "row-float_operation-1024-cold"));
        assertThat(cold.subList(0, 8)).as("the discarded sample's 99999 is not in the median")
                .containsExactly("float_operation", "1024", "cold", "7", "1", "103", "[100, 106]", "2530");
        assertThat(cells(row(html, "row-float_operation-512-warm")).get(5)).isEqualTo("203");
        // no warm samples of image_processing at 512 MB, and no native time for gzip_compression
        assertThat(cells(row(html, "row-image_processing-512-warm")).subList(3, 9)).containsOnly("–");
        assertThat(cells(row(html, "row-gzip_compression-1024-warm")).subList(10, 12)).containsOnly("–");
        // the discarded sample is listed, its problem escaped
        assertThat(html).contains("1 samples were left out", "cold flag false in cold mode, said &quot;warm&quot; "
                + "&lt;b&gt;&amp;").doesNotContain("<b>&");
    }

    @Test
    void missingDataRendersAsDashes(@TempDir Path dir) throws Exception {
        ResultFiles.Results full = run(Environment.Accelerator.TCG);
        // only discarded samples for one workload, a workload with nothing but a native time, no phases anywhere
        List<Sample> samples = new ArrayList<>(full.samples().stream()
                .map(s -> new Sample(s.workload(), s.memoryMb(), s.mode(), s.rep(), s.cold(), s.start(),
                        s.inFunctionMs(), s.providerMs(), s.clientMs(), s.initMs(), Map.of(), s.peakRssKb(),
                        s.workload().equals("gzip_compression") ? Optional.of("failed") : s.problem()))
                .toList());
        ResultFiles.Results run = new ResultFiles.Results(full.environment(), samples, Map.of("json_serdes", 5.5));
        String html = Files.readString(Report.write(dir, run));
        assertThat(cells(row(html, "row-gzip_compression-1024-warm")).subList(3, 9))
                .containsExactly("0", "7", "–", "–", "–", "–");
        assertThat(cells(row(html, "row-json_serdes-512-cold")).subList(3, 11))
                .containsExactly("–", "–", "–", "–", "–", "–", "–", "5.50");
        assertThat(html).contains("no valid cold sample recorded phases");
        assertThat(dir.resolve(Report.BREAKDOWN_SVG)).doesNotExist();
        assertThat(xml(dir.resolve("latency-gzip_compression.svg")).getDocumentElement().getTextContent())
                .contains("no valid kiln samples for gzip_compression");
        assertThat(xml(dir.resolve("latency-json_serdes.svg")).getDocumentElement().getTextContent())
                .contains("native on the host 5.50 ms");

        ResultFiles.Results empty = new ResultFiles.Results(full.environment(), List.of(), Map.of());
        Path emptyDir = dir.resolve("empty");
        assertThat(Files.readString(Report.write(emptyDir, empty), StandardCharsets.UTF_8))
                .contains("id=\"summary\"", "no published figure");
    }
}
