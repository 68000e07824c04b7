package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The desired Nodes of a pool: how many, their VM profile, the VMM driver ({@code auto}, {@code qemu},
 * {@code firecracker} or {@code fake}), the labels each Node gets, and which Hosts may run them. In a manifest an
 * absent {@code replicas} is 1 and an absent {@code driver} is {@code auto}.
 */
public record NodePoolSpec(int replicas, NodeProfile profile, String driver, Map<String, String> nodeLabels,
                           Map<String, String> hostSelector) {
    /** The drivers a pool or Node may name. */
    public static final List<String> DRIVERS = List.of("auto", "qemu", "firecracker", "fake");
    public static final String DEFAULT_DRIVER = "auto";
    static final NodePoolSpec EMPTY = new NodePoolSpec(1, NodeProfile.EMPTY, DEFAULT_DRIVER, Map.of(), Map.of());

    public NodePoolSpec {
        profile = Defaults.or(profile, NodeProfile.EMPTY);
        driver = Defaults.orIfEmpty(driver, DEFAULT_DRIVER);
        nodeLabels = Defaults.map(nodeLabels);
        hostSelector = Defaults.map(hostSelector);
    }

    @JsonCreator
    static NodePoolSpec fromJson(@JsonProperty("replicas") Integer replicas, @JsonProperty("profile") NodeProfile profile,
                                 @JsonProperty("driver") String driver,
                                 @JsonProperty("nodeLabels") Map<String, String> nodeLabels,
                                 @JsonProperty("hostSelector") Map<String, String> hostSelector) {
        return new NodePoolSpec(replicas == null ? 1 : replicas, profile, driver, nodeLabels, hostSelector);
    }

    public NodePoolSpec withReplicas(int replicas) {
        return new NodePoolSpec(replicas, profile, driver, nodeLabels, hostSelector);
    }
}
