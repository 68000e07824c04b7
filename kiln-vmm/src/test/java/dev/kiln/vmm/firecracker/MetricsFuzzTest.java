package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.vmm.VmStats.DriveStats;
import dev.kiln.vmm.VmStats.NicStats;
import java.nio.charset.StandardCharsets;

/**
 * Firecracker's metrics file is written by a process kiln does not trust; {@link MetricsFeed} documents that it
 * never throws, whatever the bytes. Without JAZZER_FUZZ this runs the inputs under
 * {@code src/test/resources/dev/kiln/vmm/firecracker/MetricsFuzzTestInputs/} as a regression test; with
 * JAZZER_FUZZ=1 Jazzer searches for new inputs (docs/ARCHITECTURE.md, "Hostile input").
 */
class MetricsFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void feedNeverThrowsAndTotalsStayInRange(byte[] data) {
        MetricsFeed feed = new MetricsFeed();
        // the same bytes in two unequal chunks: a line split by a read must count as one line
        int cut = data.length / 3;
        feed.accept(data, 0, cut);
        feed.accept(data, cut, data.length - cut);
        MetricsFeed.Totals totals = feed.totals();
        long newlines = 0;
        for (byte b : data) {
            newlines += b == '\n' ? 1 : 0;
        }
        assertThat(totals.lines() + totals.rejected()).isLessThanOrEqualTo(newlines);
        assertThat(totals.drives().size()).isLessThanOrEqualTo(MetricsFeed.MAX_DEVICES);
        assertThat(totals.nics().size()).isLessThanOrEqualTo(MetricsFeed.MAX_DEVICES);
        for (DriveStats d : totals.drives().values()) {
            assertThat(java.util.List.of(d.readBytes(), d.writeBytes(), d.readOps(), d.writeOps())).allMatch(v -> v >= 0);
        }
        for (NicStats n : totals.nics().values()) {
            assertThat(java.util.List.of(n.rxBytes(), n.txBytes(), n.rxPackets(), n.txPackets())).allMatch(v -> v >= 0);
        }
        // one line on its own parses or is refused, never throws
        MetricsLine.parse(new String(data, StandardCharsets.UTF_8));
    }
}
