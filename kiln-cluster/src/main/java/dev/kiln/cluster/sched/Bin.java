package dev.kiln.cluster.sched;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Somewhere items can be placed: a Node (for Pods) or a Host (for Nodes).
 *
 * <p>Start from {@link #of(String, Capacity)} and refine with the {@code with...} methods, so that callers never
 * pass an {@code Optional}.
 *
 * @param name        unique among the bins of a snapshot; the final tie-break between equally good bins
 * @param domain      a second level to spread over, e.g. the host a node runs on; a bin without one is a domain of
 *                    its own
 * @param capacity    everything the bin offers
 * @param allocated   already used by items bound to the bin that are not in the snapshot's item list
 * @param labels      matched against items' selectors
 * @param schedulable {@code false} for a bin that takes no new items (cordoned, suspect); items already bound to
 *                    it still count against it
 */
public record Bin(String name, Optional<String> domain, Capacity capacity, Capacity allocated,
                  Map<String, String> labels, boolean schedulable) {

    /** Checks the values and takes an unmodifiable copy of the labels. */
    public Bin {
        Names.require(name, "bin name");
        Objects.requireNonNull(domain, "domain");
        domain.ifPresent(d -> Names.require(d, "bin domain"));
        Names.nonNegative(capacity, "capacity of bin " + name);
        Names.nonNegative(allocated, "allocated of bin " + name);
        labels = Names.sortedCopy(labels, "labels of bin " + name);
    }

    /** A schedulable bin without domain, labels or allocation. */
    public static Bin of(String name, Capacity capacity) {
        return new Bin(name, Optional.empty(), capacity, Capacity.ZERO, Map.of(), true);
    }

    /** This bin in {@code domain}. */
    public Bin inDomain(String domain) {
        return new Bin(name, Optional.of(domain), capacity, allocated, labels, schedulable);
    }

    /** This bin with these labels instead of its own. */
    public Bin withLabels(Map<String, String> labels) {
        return new Bin(name, domain, capacity, allocated, labels, schedulable);
    }

    /** This bin with {@code allocated} already used by items outside the snapshot. */
    public Bin withAllocated(Capacity allocated) {
        return new Bin(name, domain, capacity, allocated, labels, schedulable);
    }

    /** This bin, taking new items or not. */
    public Bin withSchedulable(boolean schedulable) {
        return new Bin(name, domain, capacity, allocated, labels, schedulable);
    }

    /** Whether every entry of {@code selector} is among this bin's labels. */
    public boolean matches(Map<String, String> selector) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
