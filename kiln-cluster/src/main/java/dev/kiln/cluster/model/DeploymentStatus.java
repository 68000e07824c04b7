package dev.kiln.cluster.model;

import java.util.Optional;

/** The Deployment controller's count of its Pods, and which spec generation it last acted on. */
public record DeploymentStatus(int replicas, int updatedReplicas, int readyReplicas, int availableReplicas,
                               Optional<Long> observedGeneration) {
    public static final DeploymentStatus EMPTY = new DeploymentStatus(0, 0, 0, 0, Optional.empty());

    public DeploymentStatus {
        observedGeneration = Defaults.optional(observedGeneration);
    }
}
