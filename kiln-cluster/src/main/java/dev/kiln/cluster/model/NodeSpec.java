package dev.kiln.cluster.model;

import java.util.Optional;

/**
 * The desired state of a Node: its pool, the Host it is bound to (empty until scheduled), its VM profile and driver,
 * and whether new Pods may be placed on it. Its labels are in the metadata.
 */
public record NodeSpec(String pool, Optional<String> host, NodeProfile profile, String driver, boolean unschedulable) {
    static final NodeSpec EMPTY = new NodeSpec("", Optional.empty(), NodeProfile.EMPTY, NodePoolSpec.DEFAULT_DRIVER,
            false);

    public NodeSpec {
        pool = Defaults.string(pool);
        host = Defaults.optional(host);
        profile = Defaults.or(profile, NodeProfile.EMPTY);
        driver = Defaults.orIfEmpty(driver, NodePoolSpec.DEFAULT_DRIVER);
    }

    /** This spec bound to {@code host}. */
    public NodeSpec withHost(String host) {
        return new NodeSpec(pool, Optional.of(host), profile, driver, unschedulable);
    }

    public NodeSpec withUnschedulable(boolean unschedulable) {
        return new NodeSpec(pool, host, profile, driver, unschedulable);
    }
}
