package dev.kiln.cluster.model;

/** Where a host's API is reached and how much it offers to Nodes. Its labels are in the metadata. */
public record HostSpec(String address, Resources capacity) {
    static final HostSpec EMPTY = new HostSpec("", Resources.ZERO);

    public HostSpec {
        address = Defaults.string(address);
        capacity = Defaults.or(capacity, Resources.ZERO);
    }
}
