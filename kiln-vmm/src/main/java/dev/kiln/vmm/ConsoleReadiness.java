package dev.kiln.vmm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Readiness as a strategy, apart from the process: waits for the guest's ready marker on its serial console log,
 * or its failure marker, or the VMM's end, or a timeout. Reads only what was appended since the last look.
 */
public final class ConsoleReadiness {
    private ConsoleReadiness() {}

    public sealed interface Outcome {
        record Ready(Duration elapsed, String line) implements Outcome {}

        record GuestFailed(String line) implements Outcome {}

        record VmmEnded(VmPhase phase) implements Outcome {}

        record TimedOut(Duration waited) implements Outcome {}
    }

    public static Outcome await(Path console, String readyMarker, String failedMarker, Duration timeout,
                                CompletableFuture<VmPhase> vmmEnded) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long offset = 0;
        StringBuilder pending = new StringBuilder();
        while (true) {
            if (Files.exists(console)) {
                try (RandomAccessFile f = new RandomAccessFile(console.toFile(), "r")) {
                    long len = f.length();
                    if (len > offset) {
                        byte[] buf = new byte[(int) Math.min(len - offset, 1 << 20)];
                        f.seek(offset);
                        f.readFully(buf);
                        offset += buf.length;
                        pending.append(new String(buf, StandardCharsets.ISO_8859_1));
                        Optional<Outcome> found = scan(pending, readyMarker, failedMarker, start);
                        if (found.isPresent()) return found.get();
                    }
                } catch (IOException e) {
                    // the file is being created or rotated; look again
                }
            }
            if (vmmEnded.isDone()) {
                return new Outcome.VmmEnded(vmmEnded.join());
            }
            if (System.nanoTime() > deadline) {
                return new Outcome.TimedOut(timeout);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Outcome.TimedOut(Duration.ofNanos(System.nanoTime() - start));
            }
        }
    }

    /** Consumes complete lines from {@code pending}; keeps a partial last line for the next read. */
    private static Optional<Outcome> scan(StringBuilder pending, String ready, String failed, long start) {
        int nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
            String line = pending.substring(0, nl).replace("\r", "");
            pending.delete(0, nl + 1);
            if (line.contains(ready)) {
                return Optional.of(new Outcome.Ready(Duration.ofNanos(System.nanoTime() - start), line.trim()));
            }
            if (line.contains(failed)) {
                return Optional.of(new Outcome.GuestFailed(line.trim()));
            }
        }
        return Optional.empty();
    }
}
