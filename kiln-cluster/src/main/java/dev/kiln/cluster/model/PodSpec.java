package dev.kiln.cluster.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The desired state of a Pod: its containers, when to restart them (absent: {@code Always}), the labels a Node
 * needs to take it, the Node it is bound to (empty until scheduled), and whether it uses its node VM's network
 * ({@code hostNetwork}, as in Kubernetes) instead of an address of its own (the default).
 */
public record PodSpec(List<ContainerTemplate> containers, RestartPolicy restartPolicy, Map<String, String> nodeSelector,
                      Optional<String> nodeName, boolean hostNetwork) {
    static final PodSpec EMPTY = new PodSpec(List.of(), RestartPolicy.ALWAYS, Map.of(), Optional.empty());

    public PodSpec {
        containers = Defaults.list(containers, "containers");
        restartPolicy = Defaults.or(restartPolicy, RestartPolicy.ALWAYS);
        nodeSelector = Defaults.map(nodeSelector);
        nodeName = Defaults.optional(nodeName);
    }

    /** A spec of a pod with an address of its own. */
    public PodSpec(List<ContainerTemplate> containers, RestartPolicy restartPolicy, Map<String, String> nodeSelector,
                   Optional<String> nodeName) {
        this(containers, restartPolicy, nodeSelector, nodeName, false);
    }

    /** A spec with these containers, restart policy Always, no selector, unbound. */
    public static PodSpec of(List<ContainerTemplate> containers) {
        return new PodSpec(containers, RestartPolicy.ALWAYS, Map.of(), Optional.empty());
    }

    /** This spec bound to {@code node}. */
    public PodSpec withNodeName(String node) {
        return new PodSpec(containers, restartPolicy, nodeSelector, Optional.of(node), hostNetwork);
    }

    /** This spec on its node VM's network ({@code true}) or with an address of its own. */
    public PodSpec withHostNetwork(boolean onHostNetwork) {
        return new PodSpec(containers, restartPolicy, nodeSelector, nodeName, onHostNetwork);
    }
}
