package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmStats.DriveStats;
import dev.kiln.vmm.VmStats.NicStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Firecracker's metrics file, read as it grows: whole lines are parsed as {@link MetricsLine}s and their counters
 * summed per drive and NIC; a partial last line waits for the rest. Robust by design, since the file is written by a
 * process kiln does not trust: garbage and truncated lines are counted and skipped, a line longer than
 * {@link #MAX_LINE} bytes is dropped without being held, at most {@link #MAX_DEVICES} devices are tracked, sums
 * saturate instead of overflowing, and nothing throws.
 */
final class MetricsFeed {
    /** Firecracker's lines are tens of KiB; anything this long is not a metrics line. */
    static final int MAX_LINE = 1 << 20;
    /** More devices than a VM can have: ids beyond this many are ignored, so garbage cannot grow the maps. */
    static final int MAX_DEVICES = 256;

    /** Totals since the file began, and how many lines were read and rejected. */
    record Totals(Map<String, DriveStats> drives, Map<String, NicStats> nics, long lines, long rejected) {
        Totals {
            drives = Map.copyOf(drives);
            nics = Map.copyOf(nics);
        }
    }

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Map<String, long[]> drives = new TreeMap<>();
    private final Map<String, long[]> nics = new TreeMap<>();
    private boolean discarding;
    private long offset;
    private long lines;
    private long rejected;

    /** Reads what was appended to {@code file} since the last call. A file that shrank was replaced: read it anew. */
    synchronized void readFrom(Path file) {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size < offset) {
                offset = 0;
                pending.reset();
                discarding = false;
            }
            ch.position(offset);
            InputStream in = Channels.newInputStream(ch);
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                offset += n;
                accept(buf, 0, n);
            }
        } catch (NoSuchFileException e) {
            // not written yet
        } catch (IOException e) {
            // read again next time
        }
    }

    /** Takes the next bytes of the stream. */
    synchronized void accept(byte[] bytes, int from, int length) {
        int start = from;
        int end = from + length;
        for (int i = from; i < end; i++) {
            if (bytes[i] == '\n') {
                take(bytes, start, i - start);
                endOfLine();
                start = i + 1;
            }
        }
        take(bytes, start, end - start);
    }

    synchronized Totals totals() {
        Map<String, DriveStats> d = new TreeMap<>();
        drives.forEach((id, c) -> d.put(id, new DriveStats(c[0], c[1], c[2], c[3])));
        Map<String, NicStats> n = new TreeMap<>();
        nics.forEach((id, c) -> n.put(id, new NicStats(c[0], c[1], c[2], c[3])));
        return new Totals(d, n, lines, rejected);
    }

    private void take(byte[] bytes, int from, int length) {
        if (discarding || length == 0) {
            return;
        }
        if (pending.size() + length > MAX_LINE) {
            pending.reset();
            discarding = true;
            return;
        }
        pending.write(bytes, from, length);
    }

    private void endOfLine() {
        if (discarding) {
            discarding = false;
            rejected++;
            return;
        }
        String line = pending.toString(StandardCharsets.UTF_8).strip();
        pending.reset();
        if (line.isEmpty()) {
            return;
        }
        MetricsLine.parse(line).ifPresentOrElse(this::add, () -> rejected++);
    }

    private void add(MetricsLine line) {
        lines++;
        line.drives().forEach((id, s) -> sum(drives, id, s.readBytes(), s.writeBytes(), s.readOps(), s.writeOps()));
        line.nics().forEach((id, s) -> sum(nics, id, s.rxBytes(), s.txBytes(), s.rxPackets(), s.txPackets()));
    }

    private static void sum(Map<String, long[]> into, String id, long a, long b, long c, long d) {
        if (!into.containsKey(id) && into.size() >= MAX_DEVICES) {
            return;
        }
        long[] t = into.computeIfAbsent(id, k -> new long[4]);
        long[] add = {a, b, c, d};
        for (int i = 0; i < 4; i++) {
            long s = t[i] + add[i];
            t[i] = s < 0 ? Long.MAX_VALUE : s; // both are non-negative: a negative sum overflowed
        }
    }
}
