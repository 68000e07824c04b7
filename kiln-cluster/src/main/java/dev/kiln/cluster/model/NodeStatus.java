package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the Host's node runtime reports of a Node: its phase, VM id and address, last heartbeat, what Pods may use,
 * and its conditions.
 */
public record NodeStatus(NodePhase phase, Optional<String> vm, Optional<String> address, Optional<Instant> lastHeartbeat,
                         Resources allocatable, List<Condition> conditions, Optional<String> message) {
    public static final NodeStatus EMPTY = new NodeStatus(NodePhase.PENDING, Optional.empty(), Optional.empty(),
            Optional.empty(), Resources.ZERO, List.of(), Optional.empty());

    public NodeStatus {
        phase = Defaults.or(phase, NodePhase.PENDING);
        vm = Defaults.optional(vm);
        address = Defaults.optional(address);
        lastHeartbeat = Defaults.optional(lastHeartbeat);
        allocatable = Defaults.or(allocatable, Resources.ZERO);
        conditions = Defaults.list(conditions, "conditions");
        message = Defaults.optional(message);
    }

    public NodeStatus withPhase(NodePhase phase) {
        return new NodeStatus(phase, vm, address, lastHeartbeat, allocatable, conditions, message);
    }

    public NodeStatus withLastHeartbeat(Instant lastHeartbeat) {
        return new NodeStatus(phase, vm, address, Optional.of(lastHeartbeat), allocatable, conditions, message);
    }

    /** This status with the condition of {@code condition}'s type replaced (or added). */
    public NodeStatus withCondition(Condition condition) {
        List<Condition> next = new java.util.ArrayList<>(conditions.stream()
                .filter(c -> !c.type().equals(condition.type())).toList());
        next.add(condition);
        return new NodeStatus(phase, vm, address, lastHeartbeat, allocatable, next, message);
    }

    /** The condition of this type, if the status has one. */
    public Optional<Condition> condition(String type) {
        return conditions.stream().filter(c -> c.type().equals(type)).findFirst();
    }
}
