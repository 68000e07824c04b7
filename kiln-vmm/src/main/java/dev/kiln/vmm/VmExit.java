package dev.kiln.vmm;

import java.time.Instant;
import java.util.Optional;

/**
 * How a VMM process ended: its exit status when kiln was its parent (128+N for signal N), and a cause in words.
 */
public record VmExit(Instant at, Optional<Integer> exitStatus, String cause) {
    public static VmExit of(Instant at, int status, String cause) {
        return new VmExit(at, Optional.of(status), cause);
    }

    public static VmExit unknownStatus(Instant at, String cause) {
        return new VmExit(at, Optional.empty(), cause);
    }

    /** "killed by signal 9 (SIGKILL)" or "exited with status 1". */
    public static String describeStatus(int status) {
        if (status > 128 && status < 128 + 65) {
            int sig = status - 128;
            String name = switch (sig) {
                case 9 -> " (SIGKILL)";
                case 15 -> " (SIGTERM)";
                case 6 -> " (SIGABRT)";
                case 11 -> " (SIGSEGV)";
                case 2 -> " (SIGINT)";
                case 1 -> " (SIGHUP)";
                default -> "";
            };
            return "killed by signal " + sig + name;
        }
        return "exited with status " + status;
    }
}
