package dev.kiln.net;

import java.util.Optional;

/**
 * The kiln bridge: labelled {@code kiln:bridge}, up, with the gateway address. Check, act, verify.
 *
 * <p>The gateway carries the on-link prefix ({@link NetworkConfig#gatewayAddress()}): in a cluster network that is
 * the cluster's, e.g. {@code 10.90.2.1/16}, so the bridge's own on-link route covers the whole cluster network.
 * Open refuses a network whose on-link network overlaps an address on any <em>other</em> interface (that
 * interface's traffic would be captured by the bridge's route, or the other way round); the bridge's own addresses,
 * and so its own on-link route, never count as a conflict. A gateway left on the bridge with another prefix (e.g.
 * {@code 10.90.2.1/24} from before the cluster CIDR was configured) is replaced, so the bridge never has two
 * routes for the same guests.
 */
final class BridgeStep {
    private final Links links;

    BridgeStep(Links links) {
        this.links = links;
    }

    void ensure(NetworkConfig config) {
        String bridge = config.bridgeName();
        Ipv4Cidr gateway = config.gatewayAddress();
        Optional<Links.Link> existing = links.find(bridge);
        if (existing.isPresent() && !isKilnBridge(existing.get())) {
            throw new NetException(NetError.BRIDGE_CONFLICT, "link " + bridge + " exists but is not a kiln bridge"
                    + " (kind: " + existing.get().kind() + ", alias: " + existing.get().alias().orElse("none") + ")",
                    "choose another bridge name, or delete the link if it is stale: ip link del " + bridge);
        }
        Ipv4Cidr onLink = config.onLink();
        for (Links.Address address : links.addresses()) {
            if (!address.link().equals(bridge) && address.cidr().network().overlaps(onLink)) {
                throw new NetException(NetError.SUBNET_CONFLICT, config.clusterCidr()
                        .map(cluster -> "cluster CIDR " + cluster + " (on-link on " + bridge + ")")
                        .orElse("subnet " + config.subnet()) + " overlaps " + address.cidr() + " on "
                        + address.link(), config.clusterCidr().isPresent()
                        ? "choose a cluster CIDR that no other interface of the host uses (the underlay must be"
                                + " outside it)"
                        : "choose a subnet that no interface uses");
            }
        }
        if (existing.isEmpty()) {
            // stable across restarts; on a cluster network also unique per host (every host's bridge has the same
            // name, and they all share one L2 segment through the overlay)
            links.createBridge(bridge, MacAddress.derived("kiln-bridge-mac:" + bridge
                    + config.clusterCidr().map(c -> "@" + gateway.address()).orElse("")));
            links.label(bridge, new LinkLabel.Bridge());
        }
        for (Links.Address address : links.addresses()) {
            if (address.link().equals(bridge) && address.cidr().address().equals(gateway.address())
                    && address.cidr().prefixLength() != gateway.prefixLength()) {
                links.deleteAddress(bridge, address.cidr());
            }
        }
        if (!hasAddress(bridge, gateway)) {
            links.addAddress(bridge, gateway);
        }
        if (!existing.map(Links.Link::isUp).orElse(false)) {
            links.setUp(bridge);
        }
        Optional<Links.Link> after = links.find(bridge);
        if (after.isEmpty() || !isKilnBridge(after.get()) || !after.get().isUp() || !hasAddress(bridge, gateway)) {
            throw new NetException(NetError.VERIFY_FAILED, "bridge " + bridge + " is not a labelled, up bridge with "
                    + gateway, "inspect with 'ip -d addr show dev " + bridge + "'");
        }
    }

    /** Deletes the bridge if it is kiln's; leaves anyone else's link alone. Returns true if it deleted it. */
    boolean remove(String bridge) {
        Optional<Links.Link> existing = links.find(bridge);
        if (existing.isEmpty() || !isKilnBridge(existing.get())) {
            return false;
        }
        links.delete(bridge);
        if (links.find(bridge).isPresent()) {
            throw new NetException(NetError.VERIFY_FAILED, "bridge " + bridge + " still exists after delete",
                    "delete it by hand: ip link del " + bridge);
        }
        return true;
    }

    private boolean hasAddress(String bridge, Ipv4Cidr gateway) {
        return links.addresses().stream()
                .anyMatch(address -> address.link().equals(bridge) && address.cidr().equals(gateway));
    }

    private static boolean isKilnBridge(Links.Link link) {
        return link.kind().equals("bridge") && link.hasLabel(new LinkLabel.Bridge());
    }
}
