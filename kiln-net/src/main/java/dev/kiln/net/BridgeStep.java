package dev.kiln.net;

import java.util.Optional;

/** The kiln bridge: labelled {@code kiln:bridge}, up, with the gateway address. Check, act, verify. */
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
        for (Links.Address address : links.addresses()) {
            if (!address.link().equals(bridge) && address.cidr().network().overlaps(config.subnet())) {
                throw new NetException(NetError.SUBNET_CONFLICT, "subnet " + config.subnet() + " overlaps "
                        + address.cidr() + " on " + address.link(), "choose a subnet that no interface uses");
            }
        }
        if (existing.isEmpty()) {
            links.createBridge(bridge, MacAddress.derived("kiln-bridge-mac:" + bridge));
            links.label(bridge, new LinkLabel.Bridge());
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
