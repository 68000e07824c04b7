package dev.kiln.api.agent;

import java.time.Duration;

/**
 * What the guest agent reports about its VM.
 *
 * @param kernel        the guest kernel's release ({@code uname -r})
 * @param uptime        since the guest kernel booted
 * @param agentStartup  from the agent's JVM start to its HTTP port listening
 * @param cgroupVersion 1 or 2 (0: no cgroups found)
 * @param rootfsMode    how container roots are made: {@code overlay} or {@code copy}
 */
public record GuestFacts(String kernel, long memoryTotalBytes, long memoryAvailableBytes, int cpus,
                         Duration uptime, String agentVersion, Duration agentStartup, int cgroupVersion,
                         String rootfsMode, String runtime) {
    public GuestFacts {
        kernel = Wire.text(kernel, "kernel");
        uptime = Wire.required(uptime, "uptime");
        agentVersion = Wire.text(agentVersion, "agentVersion");
        agentStartup = Wire.required(agentStartup, "agentStartup");
        rootfsMode = Wire.text(rootfsMode, "rootfsMode");
        runtime = runtime == null ? "" : runtime;
    }
}
