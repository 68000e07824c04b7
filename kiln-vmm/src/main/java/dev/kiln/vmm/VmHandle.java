package dev.kiln.vmm;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * What a driver needs to find a running VMM again after the agent restarts: persisted by the host as JSON.
 * {@code processStartTicks} is field 22 of /proc/PID/stat, so a reused PID is never mistaken for the VMM.
 */
public record VmHandle(
        VmId id,
        String driver,
        long pid,
        long processStartTicks,
        Path runDir,
        String accelerator,
        Instant startedAt,
        Map<String, String> attributes) {

    public VmHandle {
        attributes = Map.copyOf(attributes);
    }

    public Path consoleLog() {
        return runDir.resolve("console.log");
    }

    public Path vmmLog() {
        return runDir.resolve("vmm.log");
    }
}
