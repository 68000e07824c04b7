package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.Optional;

/**
 * What the control plane knows of a host: its phase (an empty status is {@link HostPhase#SUSPECT}: no placements
 * before a first heartbeat), its last heartbeat, what its Nodes take, and the etcd lease that keeps it alive.
 */
public record HostStatus(HostPhase phase, Optional<Instant> lastHeartbeat, Resources allocated, Optional<String> message,
                         Optional<Long> leaseId) {
    public static final HostStatus EMPTY = new HostStatus(HostPhase.SUSPECT, Optional.empty(), Resources.ZERO,
            Optional.empty(), Optional.empty());

    public HostStatus {
        phase = Defaults.or(phase, HostPhase.SUSPECT);
        lastHeartbeat = Defaults.optional(lastHeartbeat);
        allocated = Defaults.or(allocated, Resources.ZERO);
        message = Defaults.optional(message);
        leaseId = Defaults.optional(leaseId);
    }
}
