package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a host is reached and how much it offers to Nodes. Its labels are in the metadata.
 *
 * @param address     the address other hosts and clients reach it at (its overlay endpoint)
 * @param capacity    what its Nodes may take in all
 * @param subnet      the slice of the cluster network its VMs take their addresses from (empty: not on an overlay)
 * @param clusterCidr the cluster network its subnet is a slice of, the same on every host of the cluster, e.g.
 *                    {@code 10.90.0.0/16} (empty: not on an overlay, or registered by a kiln that did not record it)
 * @param apiPort     the TCP port of its cluster API, where other hosts reach it (0: unknown, registered by a kiln
 *                    that did not record it; other hosts then try their own API port); left out of the output when 0
 * @param guestImage  the digest of the guest image its VMs boot (a joining host with the same inputs pulls it from
 *                    here instead of building it); empty when not known, and then left out of the output
 */
public record HostSpec(String address, Resources capacity, String subnet, String clusterCidr,
                       @JsonInclude(JsonInclude.Include.NON_DEFAULT) int apiPort,
                       @JsonInclude(JsonInclude.Include.NON_EMPTY) String guestImage) {
    static final HostSpec EMPTY = new HostSpec("", Resources.ZERO, "", "", 0, "");

    public HostSpec {
        address = Defaults.string(address);
        capacity = Defaults.or(capacity, Resources.ZERO);
        subnet = Defaults.string(subnet);
        clusterCidr = Defaults.string(clusterCidr);
        guestImage = Defaults.string(guestImage);
    }

    /** A host whose guest image is not known. */
    public HostSpec(String address, Resources capacity, String subnet, String clusterCidr, int apiPort) {
        this(address, capacity, subnet, clusterCidr, apiPort, "");
    }

    /** A host whose cluster CIDR and API port are not known. */
    public HostSpec(String address, Resources capacity, String subnet) {
        this(address, capacity, subnet, "", 0, "");
    }

    /** A host that is not on an overlay network. */
    public HostSpec(String address, Resources capacity) {
        this(address, capacity, "");
    }
}
