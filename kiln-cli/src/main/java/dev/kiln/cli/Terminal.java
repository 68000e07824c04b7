package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the CLI knows about where its output goes. */
public record Terminal(boolean stderrIsTerminal) {
    /** Looks at what file descriptor 2 is (Linux: /proc/self/fd/2 points to /dev/pts/N or /dev/ttyN). */
    public static Terminal detect() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return new Terminal(target.startsWith("/dev/pts/") || target.startsWith("/dev/tty"));
        } catch (IOException | UnsupportedOperationException e) {
            return new Terminal(false);
        }
    }
}
