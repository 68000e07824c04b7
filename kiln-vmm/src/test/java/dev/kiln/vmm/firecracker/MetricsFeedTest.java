package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.kiln.vmm.VmStats.DriveStats;
import dev.kiln.vmm.VmStats.NicStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firecracker's metrics lines parsed and summed, and garbage of every kind survived. */
class MetricsFeedTest {
    /** One flush as Firecracker writes it (abridged: each object has more counters than shown, all ignored). */
    static final String SAMPLE = "{\"utc_timestamp_ms\":1700000000123,"
            + "\"api_server\":{\"process_startup_time_us\":5130,\"sync_response_fails\":0},"
            + "\"block\":{\"activate_fails\":0,\"read_bytes\":1052672,\"write_bytes\":4096,\"read_count\":65,\"write_count\":1},"
            + "\"block_rootfs\":{\"activate_fails\":0,\"cfg_fails\":0,\"flush_count\":0,\"queue_event_count\":12,"
            + "\"read_bytes\":1048576,\"write_bytes\":0,\"read_count\":64,\"write_count\":0,\"read_agg\":{\"min_us\":3,\"max_us\":90,\"sum_us\":400}},"
            + "\"block_scratch\":{\"read_bytes\":4096,\"write_bytes\":4096,\"read_count\":1,\"write_count\":1},"
            + "\"net\":{\"rx_bytes_count\":2048,\"tx_bytes_count\":1024},"
            + "\"net_eth0\":{\"activate_fails\":0,\"rx_bytes_count\":2048,\"rx_packets_count\":20,\"tx_bytes_count\":1024,"
            + "\"tx_packets_count\":10,\"tx_rate_limiter_throttled\":0},"
            + "\"vcpu\":{\"exit_io_in\":120,\"exit_io_out\":340,\"exit_mmio_read\":12,\"exit_mmio_write\":5,\"failures\":0},"
            + "\"vmm\":{\"panic_count\":0},\"uart\":{\"read_count\":0,\"write_count\":1500}}";

    @TempDir
    Path tmp;

    @Test
    void aLineGivesPerDeviceCountersAndIgnoresTheRest() {
        MetricsLine line = MetricsLine.parse(SAMPLE).orElseThrow();

        assertThat(line.drives()).containsOnlyKeys("rootfs", "scratch");
        assertThat(line.drives().get("rootfs")).isEqualTo(new DriveStats(1048576, 0, 64, 0));
        assertThat(line.drives().get("scratch")).isEqualTo(new DriveStats(4096, 4096, 1, 1));
        assertThat(line.nics()).containsOnlyKeys("eth0");
        assertThat(line.nics().get("eth0")).isEqualTo(new NicStats(2048, 1024, 20, 10));
    }

    @Test
    void linesAreDeltasSoTheFeedSumsThem() {
        MetricsFeed feed = new MetricsFeed();
        feed(feed, SAMPLE + "\n" + SAMPLE + "\n");

        MetricsFeed.Totals t = feed.totals();
        assertThat(t.lines()).isEqualTo(2);
        assertThat(t.rejected()).isZero();
        assertThat(t.drives().get("rootfs")).isEqualTo(new DriveStats(2 * 1048576, 0, 128, 0));
        assertThat(t.nics().get("eth0")).isEqualTo(new NicStats(4096, 2048, 40, 20));
    }

    @Test
    void aPartialLineWaitsForItsEndAcrossChunks() {
        MetricsFeed feed = new MetricsFeed();
        byte[] bytes = (SAMPLE + "\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += 7) {
            feed.accept(bytes, i, Math.min(7, bytes.length - i));
            if (i + 7 < bytes.length) {
                assertThat(feed.totals().lines()).isZero();
            }
        }
        assertThat(feed.totals().lines()).isEqualTo(1);
        assertThat(feed.totals().drives().get("rootfs").readBytes()).isEqualTo(1048576);
    }

    @Test
    void theFileIsReadAsItGrowsAndAgainWhenReplaced() throws IOException {
        Path file = tmp.resolve("metrics.json");
        MetricsFeed feed = new MetricsFeed();
        feed.readFrom(file); // not there yet: nothing, no error
        Files.writeString(file, SAMPLE + "\n" + SAMPLE.substring(0, 40));
        feed.readFrom(file);
        assertThat(feed.totals().lines()).isEqualTo(1);

        Files.writeString(file, SAMPLE.substring(40) + "\n", StandardOpenOption.APPEND);
        feed.readFrom(file);
        assertThat(feed.totals().lines()).isEqualTo(2);

        Files.writeString(file, "{\"block_rootfs\":{\"read_bytes\":1}}\n"); // shorter: a new file
        feed.readFrom(file);
        assertThat(feed.totals().lines()).isEqualTo(3);
        assertThat(feed.totals().drives().get("rootfs").readBytes()).isEqualTo(2 * 1048576 + 1);
    }

    @Test
    void garbageIsCountedAndSkipped() {
        MetricsFeed feed = new MetricsFeed();
        feed(feed, String.join("\n",
                "not json",
                SAMPLE.substring(0, SAMPLE.length() / 2), // a line cut short, then a newline
                "[1,2,3]",
                "42",
                "\"a string\"",
                "{\"block_rootfs\":{\"read_bytes\":-5,\"write_bytes\":1.5,\"read_count\":\"7\",\"write_count\":99999999999999999999999}}",
                "{\"block_rootfs\":7,\"net_eth0\":null,\"block_\":{\"read_bytes\":1},\"block_../x\":{\"read_bytes\":1}}",
                "{} trailing",
                "",
                "   ",
                SAMPLE) + "\n");

        MetricsFeed.Totals t = feed.totals();
        assertThat(t.rejected()).as("not json, cut short, array, number, string, trailing tokens").isEqualTo(6);
        assertThat(t.lines()).isEqualTo(3);
        assertThat(t.drives()).containsOnlyKeys("rootfs", "scratch");
        assertThat(t.drives().get("rootfs")).isEqualTo(new DriveStats(1048576, 0, 64, 0));
    }

    @Test
    void aHugeLineIsDroppedWithoutBeingHeld() {
        MetricsFeed feed = new MetricsFeed();
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 40; i++) {
            feed.accept(chunk, 0, chunk.length);
        }
        feed(feed, "\n" + SAMPLE + "\n");

        assertThat(feed.totals().rejected()).isEqualTo(1);
        assertThat(feed.totals().lines()).isEqualTo(1);
    }

    @Test
    void sumsSaturateInsteadOfOverflowing() {
        MetricsFeed feed = new MetricsFeed();
        String big = "{\"block_rootfs\":{\"read_bytes\":" + Long.MAX_VALUE + "}}\n";
        feed(feed, big + big);

        assertThat(feed.totals().drives().get("rootfs").readBytes()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void deepNestingAndManyDevicesDoNotHurt() {
        MetricsFeed feed = new MetricsFeed();
        feed(feed, "[".repeat(5000) + "]".repeat(5000) + "\n" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3000) + "\n");
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 1000; i++) {
            many.append(i == 0 ? "" : ",").append("\"block_d").append(i).append("\":{\"read_bytes\":1}");
        }
        feed(feed, many.append("}\n").toString());

        assertThat(feed.totals().drives()).hasSize(MetricsFeed.MAX_DEVICES);
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(20240611);
        MetricsFeed feed = new MetricsFeed();
        byte[] sample = (SAMPLE + "\n").getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 2000; round++) {
            byte[] b = sample.clone();
            for (int k = 0; k < 1 + random.nextInt(8); k++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            int cut = random.nextInt(b.length + 1);
            assertThatCode(() -> {
                feed.accept(b, 0, cut);
                feed.accept(new byte[] {'\n'}, 0, 1);
            }).doesNotThrowAnyException();
        }
        // a mutated byte may be a newline, so rounds and lines do not match one to one; the feed is still in step
        long lines = feed.totals().lines();
        feed(feed, SAMPLE + "\n");
        assertThat(feed.totals().lines()).isEqualTo(lines + 1);
    }

    private static void feed(MetricsFeed feed, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        feed.accept(b, 0, b.length);
    }
}
