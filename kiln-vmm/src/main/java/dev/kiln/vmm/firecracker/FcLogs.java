package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.ProcStat;
import java.nio.file.Path;

/** What Firecracker said, for error messages: the tails of its own log and of its stderr, each under a heading. */
final class FcLogs {
    static final int LINES = 20;

    private FcLogs() {}

    /** {@code "\n--- firecracker.log ---\n..."} for each file with something in it; "" when both are empty. */
    static String tails(Path firecrackerLog, Path stderr) {
        StringBuilder out = new StringBuilder();
        for (Path f : new Path[] {firecrackerLog, stderr}) {
            String tail = ProcStat.tail(f, LINES).strip();
            if (!tail.isEmpty()) {
                out.append("\n--- ").append(f.getFileName()).append(" (").append(f).append(") ---\n").append(tail);
            }
        }
        return out.toString();
    }
}
