package dev.kiln.cluster.model;

import java.util.Optional;

/** How many of a pool's Nodes exist and are ready, and which spec generation the controller last acted on. */
public record NodePoolStatus(int replicas, int readyReplicas, Optional<Long> observedGeneration) {
    public static final NodePoolStatus EMPTY = new NodePoolStatus(0, 0, Optional.empty());

    public NodePoolStatus {
        observedGeneration = Defaults.optional(observedGeneration);
    }
}
