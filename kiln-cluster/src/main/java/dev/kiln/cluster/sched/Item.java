package dev.kiln.cluster.sched;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Something to place: a Pod (on Nodes) or a Node (on Hosts).
 *
 * <p>Start from {@link #of(String, Capacity, String)} and refine with {@link #withSelector} and {@link #boundTo}.
 *
 * @param name        unique among the items of a snapshot; the last sort key
 * @param requests    what the item needs from its bin
 * @param selector    labels a bin must all carry, with equal values, to take the item
 * @param spreadGroup items of one group (the owning Deployment, the NodePool) are spread over bins and domains
 * @param boundTo     the bin the item is already bound to: it counts against that bin and is never moved; an item
 *                    bound to a bin the snapshot does not hold is left out of the accounting
 * @param ports       ports the item listens on in its bin's one network (pods share their node VM's network): two
 *                    items with a port in common never share a bin
 */
public record Item(String name, Capacity requests, Map<String, String> selector, String spreadGroup,
                   Optional<String> boundTo, Set<Integer> ports) {

    /** An item that listens on no port. */
    public Item(String name, Capacity requests, Map<String, String> selector, String spreadGroup,
                Optional<String> boundTo) {
        this(name, requests, selector, spreadGroup, boundTo, Set.of());
    }

    /** Checks the values and takes an unmodifiable copy of the selector. */
    public Item {
        Names.require(name, "item name");
        Names.nonNegative(requests, "requests of item " + name);
        selector = Names.sortedCopy(selector, "selector of item " + name);
        Objects.requireNonNull(spreadGroup, "spreadGroup");
        Objects.requireNonNull(boundTo, "boundTo");
        boundTo.ifPresent(b -> Names.require(b, "bin name"));
        ports = Set.copyOf(Objects.requireNonNull(ports, "ports"));
    }

    /** An unbound item without a selector. */
    public static Item of(String name, Capacity requests, String spreadGroup) {
        return new Item(name, requests, Map.of(), spreadGroup, Optional.empty());
    }

    /** This item, asking for bins with all these labels. */
    public Item withSelector(Map<String, String> selector) {
        return new Item(name, requests, selector, spreadGroup, boundTo, ports);
    }

    /** This item, already bound to {@code bin}. */
    public Item boundTo(String bin) {
        return new Item(name, requests, selector, spreadGroup, Optional.of(bin), ports);
    }

    /** This item, listening on these ports. */
    public Item withPorts(Set<Integer> ports) {
        return new Item(name, requests, selector, spreadGroup, boundTo, ports);
    }

    /** Whether the item is already bound to a bin. */
    public boolean isBound() {
        return boundTo.isPresent();
    }
}
