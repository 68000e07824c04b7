package dev.kiln.host;

import java.time.Instant;
import java.util.List;

/**
 * What the host keeps about a container (in {@code containers/<name>.json}); the guest agent keeps the rest.
 *
 * @param agentId the container's id in its guest agent
 * @param ownsVm  the VM was made for this container and is removed with it
 */
public record ContainerRecord(String name, String agentId, String vmId, String vmName, boolean ownsVm, String image,
                              String imageDigest, List<PortMapping> ports, Instant createdAt) {
    public ContainerRecord {
        ports = List.copyOf(ports);
    }
}
