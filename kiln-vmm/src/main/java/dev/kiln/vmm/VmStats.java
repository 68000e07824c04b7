package dev.kiln.vmm;

import java.time.Duration;
import java.util.Map;

/** Resource use of a VMM process, its block devices (by drive id) and, where the VMM counts them, its NICs (by NIC id). */
public record VmStats(long rssBytes, Duration cpuTime, Map<String, DriveStats> drives, Map<String, NicStats> nics) {
    public record DriveStats(long readBytes, long writeBytes, long readOps, long writeOps) {}

    /** rx is what the guest received, tx what it sent. */
    public record NicStats(long rxBytes, long txBytes, long rxPackets, long txPackets) {}

    public VmStats {
        drives = Map.copyOf(drives);
        nics = Map.copyOf(nics);
    }

    /** Without NIC counters (a VMM that does not count them; the host reads the tap's). */
    public VmStats(long rssBytes, Duration cpuTime, Map<String, DriveStats> drives) {
        this(rssBytes, cpuTime, drives, Map.of());
    }
}
