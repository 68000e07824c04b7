package dev.kiln.cluster.model;

/**
 * Where a host is reached and how much it offers to Nodes. Its labels are in the metadata.
 *
 * @param address  the address other hosts and clients reach it at (its overlay endpoint)
 * @param capacity what its Nodes may take in all
 * @param subnet   the slice of the cluster network its VMs take their addresses from (empty: not on an overlay)
 */
public record HostSpec(String address, Resources capacity, String subnet) {
    static final HostSpec EMPTY = new HostSpec("", Resources.ZERO, "");

    public HostSpec {
        address = Defaults.string(address);
        capacity = Defaults.or(capacity, Resources.ZERO);
        subnet = Defaults.string(subnet);
    }

    /** A host that is not on an overlay network. */
    public HostSpec(String address, Resources capacity) {
        this(address, capacity, "");
    }
}
