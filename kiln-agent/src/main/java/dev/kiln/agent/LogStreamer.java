package dev.kiln.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends a container's log files to a client. Without follow: what is there now. With follow: new output as it
 * appears, until the container will write no more (exited for good, or removed); the files are polled, and the
 * wait between polls ends early when the container ends. With both streams, each poll sends stdout's new bytes,
 * then stderr's: lines of the two keep their order within a stream but may interleave coarsely.
 */
final class LogStreamer {
    private static final Duration POLL = Duration.ofMillis(100);

    private LogStreamer() {
    }

    static void stream(ContainerRuntime.Logs logs, ApiCall.LogStream which, boolean follow, OutputStream out)
            throws IOException {
        List<Path> files = switch (which) {
            case STDOUT -> List.of(logs.stdout());
            case STDERR -> List.of(logs.stderr());
            case BOTH -> List.of(logs.stdout(), logs.stderr());
        };
        long[] offsets = new long[files.size()];
        while (true) {
            boolean ended = logs.ended().isDone(); // read before the drain, so the last drain sees the last bytes
            for (int i = 0; i < files.size(); i++) {
                offsets[i] = copyNew(files.get(i), offsets[i], out);
            }
            out.flush();
            if (!follow || ended) {
                return;
            }
            try {
                logs.ended().get(POLL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // poll again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long copyNew(Path file, long offset, OutputStream out) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long pos = offset;
            while (pos < size) {
                buf.clear();
                int n = ch.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                out.write(buf.array(), 0, n);
                pos += n;
            }
            return pos;
        } catch (java.nio.file.NoSuchFileException e) {
            return offset; // removed meanwhile
        }
    }
}
