package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What the Node's runtime reports of a Pod: its phase, Node, IP, start time and each container's state. */
public record PodStatus(PodPhase phase, Optional<String> node, Optional<String> reason, Optional<String> message,
                        Optional<String> podIP, Optional<Instant> startTime, List<ContainerStatus> containerStatuses) {
    public static final PodStatus EMPTY = new PodStatus(PodPhase.PENDING, Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    public PodStatus {
        phase = Defaults.or(phase, PodPhase.PENDING);
        node = Defaults.optional(node);
        reason = Defaults.optional(reason);
        message = Defaults.optional(message);
        podIP = Defaults.optional(podIP);
        startTime = Defaults.optional(startTime);
        containerStatuses = Defaults.list(containerStatuses, "containerStatuses");
    }

    public PodStatus withPhase(PodPhase phase) {
        return new PodStatus(phase, node, reason, message, podIP, startTime, containerStatuses);
    }
}
