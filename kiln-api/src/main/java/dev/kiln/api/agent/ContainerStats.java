package dev.kiln.api.agent;

import java.time.Instant;
import java.util.Optional;

/**
 * Resource use of a container from its cgroup (v2: memory.current, memory.max, memory.peak, memory.events,
 * cpu.stat, pids.current; v1: the memory, cpuacct and pids controllers). For a container that is no longer
 * running, the last values read when it exited.
 *
 * @param memoryMaxBytes  the limit; empty when unlimited
 * @param memoryPeakBytes empty when the kernel does not report it
 * @param oomKills        processes the OOM killer killed in this container's cgroup
 */
public record ContainerStats(String id, Instant at, int cgroupVersion, boolean running,
                             long memoryCurrentBytes, Optional<Long> memoryMaxBytes,
                             Optional<Long> memoryPeakBytes, long oomKills, long cpuUsageUsec, long pidsCurrent) {
    public ContainerStats {
        id = Wire.text(id, "id");
        at = Wire.required(at, "at");
        memoryMaxBytes = Wire.opt(memoryMaxBytes);
        memoryPeakBytes = Wire.opt(memoryPeakBytes);
    }
}
