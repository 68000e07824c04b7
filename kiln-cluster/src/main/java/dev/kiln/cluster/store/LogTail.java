package dev.kiln.cluster.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The last lines a process wrote to its log since a given offset, for error messages. */
final class LogTail {
    private static final int MAX_BYTES = 64 * 1024;

    private LogTail() {
    }

    /** The size of {@code log} now, 0 when it does not exist: the offset to read a later run's lines from. */
    static long size(Path log) {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** At most {@code lines} last lines written to {@code log} after {@code offset}. */
    static List<String> read(Path log, long offset, int lines) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(offset, file.length() - MAX_BYTES);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                    .filter(line -> !line.isBlank()).toList();
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
        }
    }
}
