package dev.kiln.vmm;

import java.time.Duration;
import java.util.Map;

/** Resource use of a VMM process and its block devices. */
public record VmStats(long rssBytes, Duration cpuTime, Map<String, DriveStats> drives) {
    public record DriveStats(long readBytes, long writeBytes, long readOps, long writeOps) {}

    public VmStats {
        drives = Map.copyOf(drives);
    }
}
