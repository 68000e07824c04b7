package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.net.NftRuleset.ChainType;
import dev.kiln.net.NftRuleset.Hook;
import dev.kiln.net.NftRuleset.Match;
import dev.kiln.net.NftRuleset.NamedSet;
import dev.kiln.net.NftRuleset.Policy;
import dev.kiln.net.NftRuleset.Statement;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Guest isolation on the bridge: what each guest port may send, whom it may reach, and what of the host.
 *
 * <p>Every guest's identity is a handful of set elements keyed by its tap, in the network's two kiln tables:
 * <ul>
 *   <li>{@code bridge} table: {@value #GUEST_MAC} ({@code tap . MAC}), {@value #GUEST_IP} ({@code tap . IP}, one
 *       per address the tap may send from: the lease's own and its extra addresses, e.g. pods' addresses inside a
 *       node vm), {@value #TENANT_OF} (map {@code tap : tenant number}), {@value #TENANT_PORT}
 *       ({@code tap . tenant number}), {@value #TENANT_TAG_OF} (map {@code tap : tenant tag}, for frames to other
 *       hosts) and {@value #TENANT_TAG_PORT} ({@code tap . tenant tag}, for frames from other hosts' guests);</li>
 *   <li>{@code ip} table: {@value #EGRESS_DENY} (the IPs, own and extra, of guests whose egress is denied) and
 *       {@value #CONTROL_ENDPOINTS} ({@code address . port} of the cluster's etcd members, which no guest may
 *       reach, whatever its egress).</li>
 * </ul>
 * The rules never change after the network opens; a vm's attach adds its elements and its detach deletes them, each
 * in one {@code nft -f -} transaction, so vms come and go concurrently without rewriting each other's rules.
 *
 * <p>Bridge-family rules see the ports of every bridge in the namespace, and this kernel has no {@code meta ibrname}
 * to tell them apart, so the guard keys on this network's own ports ({@value #GUEST_PORT}), never on the
 * {@code ktap-*} prefix: another kiln network on the host (a test, a second daemon) never drops this one's frames.
 * A kiln tap is admitted before it is created. A {@code ktap-*} port without elements (made by hand) is not checked
 * at prerouting, but the bridge drops what it sends to this network's guests: a port that forwards to one of them
 * is on this bridge.
 *
 * <p>The tables are re-created when the network opens, with the elements of every leased vm rendered into them in
 * the same transaction: a restarted daemon never leaves a running guest unguarded or cut off.
 */
final class GuestGuard {
    static final String GUEST_PORT = "guest_port";
    static final String GUEST_MAC = "guest_mac";
    static final String GUEST_IP = "guest_ip";
    static final String TENANT_OF = "tenant_of";
    static final String TENANT_PORT = "tenant_port";
    static final String TENANT_TAG_OF = "tenant_tag_of";
    static final String TENANT_TAG_PORT = "tenant_tag_port";
    static final String EGRESS_DENY = "egress_deny";
    static final String CONTROL_ENDPOINTS = "control_endpoints";
    static final String GUEST_IN = "guest_in";
    static final String TENANTS = "tenants";
    static final String OVERLAY_IN = "overlay_in";
    /** The bits of a frame's mark that VXLAN's group policy extension carries to the other hosts. */
    static final long TAG_MASK = 0xffff;
    static final String GUESTS_TO_HOST = "guests_to_host";

    private final Commands commands;
    private final NetworkConfig config;

    GuestGuard(Commands commands, NetworkConfig config) {
        this.commands = commands;
        this.config = config;
    }

    /**
     * The tenant's number in the {@code mark} typed sets: the first 32 bits of SHA-256 over the name, with bit 0 set
     * when the low 16 bits (its {@linkplain #tenantTag tag}) would be 0, as a tag of 0 stands for the hosts.
     */
    static long tenantNumber(String tenant) {
        long number = Integer.toUnsignedLong(ByteBuffer.wrap(MacAddress.sha256("kiln-tenant/"
                + GuestPolicy.requireTenant(tenant))).getInt());
        return (number & TAG_MASK) == 0 ? number | 1 : number;
    }

    /**
     * The tenant's tag on the overlay: the low 16 bits of its number, which VXLAN's group policy extension carries
     * from the sending host's mark to the receiving host's (never 0: frames of the hosts themselves carry 0).
     */
    static long tenantTag(String tenant) {
        return tenantNumber(tenant) & TAG_MASK;
    }

    // ---- the rules ----

    /** The bridge table's sets with the given leases' elements. */
    static List<NamedSet> bridgeSets(List<Lease> leases) {
        return List.of(
                new NamedSet(GUEST_PORT, "ifname", "", render(leases, GuestGuard::quotedTap)),
                new NamedSet(GUEST_MAC, "ifname . ether_addr", "", render(leases, GuestGuard::macElement)),
                new NamedSet(GUEST_IP, "ifname . ipv4_addr", "", leases.stream()
                        .flatMap(lease -> ipElements(lease).stream()).toList()),
                new NamedSet(TENANT_OF, "ifname", "mark", render(leases, GuestGuard::tenantOfElement)),
                new NamedSet(TENANT_PORT, "ifname . mark", "", render(leases, GuestGuard::tenantPortElement)),
                new NamedSet(TENANT_TAG_OF, "ifname", "mark", render(leases, GuestGuard::tenantTagOfElement)),
                new NamedSet(TENANT_TAG_PORT, "ifname . mark", "", render(leases, GuestGuard::tenantTagPortElement)));
    }

    /** The ip table's set of the addresses (own and extra) of guests whose egress is denied. */
    static List<NamedSet> ipSets(List<Lease> leases) {
        return List.of(new NamedSet(EGRESS_DENY, "ipv4_addr", "", leases.stream()
                .filter(lease -> lease.egress() == GuestPolicy.Egress.DENY)
                .flatMap(lease -> lease.allAddresses().stream()).map(GuestGuard::ipText).toList()),
                new NamedSet(CONTROL_ENDPOINTS, "ipv4_addr . inet_service", "", List.of()));
    }

    /**
     * The ip forward rule (first in the chain): nothing from the bridge reaches a cluster store endpoint elsewhere
     * (etcd has no authentication; a guest with egress would otherwise reach it through this host's masquerade).
     */
    static Match[] controlEndpointMatches(NetworkConfig config) {
        return new Match[] {new Match.InInterface(config.bridgeName(), false),
                new Match.OutInterface(config.bridgeName(), true),
                new Match.Fixed("ip daddr . tcp dport @" + CONTROL_ENDPOINTS)};
    }

    /** Replaces the {@value #CONTROL_ENDPOINTS} set's elements with {@code endpoints} (IPv4), in one transaction. */
    void protectControlEndpoints(List<java.net.InetSocketAddress> endpoints) {
        String table = "ip " + config.nftTableName();
        var script = new StringBuilder("flush set " + table + " " + CONTROL_ENDPOINTS + "\n");
        for (java.net.InetSocketAddress e : endpoints) {
            if (!(e.getAddress() instanceof java.net.Inet4Address a) || a.isLoopbackAddress()) {
                continue; // guests never reach loopback; the set holds IPv4 only
            }
            script.append(add(table, CONTROL_ENDPOINTS, a.getHostAddress() + " . " + e.getPort()));
        }
        commands.checkWithInput(script.toString(), "nft", "-f", "-");
    }

    /**
     * Bridge prerouting (before the bridge learns the source MAC, so a spoofed frame cannot poison its forwarding
     * table): every frame from a kiln tap must carry the tap's MAC; an ARP packet its MAC and IP as sender; an IPv4
     * packet its IP as source. Everything else from a tap (IPv6, VLAN tags, other EtherTypes, spoofed frames,
     * frames of a tap without elements) is dropped.
     */
    static List<NftRuleset.Chain> bridgeGuardChains() {
        var prerouting = NftRuleset.Chain.base("prerouting", ChainType.FILTER, Hook.PREROUTING, "-200", Policy.ACCEPT)
                .rule(new Statement.Jump(GUEST_IN), new Match.Fixed("iifname @" + GUEST_PORT));
        var guestIn = NftRuleset.Chain.regular(GUEST_IN)
                .rule(Statement.DROP, new Match.Fixed("iifname . ether saddr != @" + GUEST_MAC))
                .rule(Statement.DROP, new Match.Fixed("ether type arp iifname . arp saddr ether != @" + GUEST_MAC))
                .rule(Statement.DROP, new Match.Fixed("ether type arp iifname . arp saddr ip != @" + GUEST_IP))
                .rule(Statement.ACCEPT, new Match.Fixed("ether type arp"))
                .rule(Statement.ACCEPT, new Match.Fixed("ether type ip iifname . ip saddr @" + GUEST_IP))
                .rule(Statement.DROP);
        return List.of(prerouting, guestIn);
    }

    /** Bridge forward: a kiln tap of this bridge that was never admitted reaches none of its guests. */
    static Match[] unknownTapMatches() {
        return new Match[] {new Match.InInterfacePrefix(LinkLabel.TAP_PREFIX),
                new Match.Fixed("iifname != @" + GUEST_PORT + " oifname @" + GUEST_PORT)};
    }

    /**
     * The bridge forward chain's last rule sends tap-to-tap frames (unicast, and each copy of a flooded one) here:
     * the frame's mark becomes the input tap's tenant number, and it passes only if the output tap has the same one
     * (the mark is reset to 0 before it goes on).
     */
    static NftRuleset.Chain tenantChain() {
        return NftRuleset.Chain.regular(TENANTS)
                .rule(new Statement.Fixed("meta mark set iifname map @" + TENANT_OF))
                .rule(new Statement.Fixed("meta mark set 0 accept"),
                        new Match.Fixed("oifname . meta mark @" + TENANT_PORT))
                .rule(Statement.DROP);
    }

    /**
     * Frames that another host's guests sent through the overlay and that are bound for one of this bridge's guests
     * come here. The sending host marked them with its guest's tenant number (the forward rule of
     * {@link #overlayOutMatches}), and VXLAN's group policy extension brought the mark's low 16 bits, the tenant's
     * {@linkplain #tenantTag tag}, along. A frame passes when the output tap's tenant has that tag, or when its tag
     * is 0: the other hosts' own frames (a port forward to a pod here, routed traffic) carry no tenant.
     */
    static NftRuleset.Chain overlayInChain() {
        return NftRuleset.Chain.regular(OVERLAY_IN)
                .rule(Statement.ACCEPT, new Match.Fixed("meta mark 0"))
                .rule(new Statement.Fixed("meta mark set 0 accept"),
                        new Match.Fixed("oifname . meta mark @" + TENANT_TAG_PORT))
                .rule(Statement.DROP);
    }

    /**
     * The forward rule that marks a guest's frames to the overlay with its tenant's tag (no verdict). The mark is
     * the tag alone: VXLAN's group policy header also carries two flags taken from higher bits of the mark (bits
     * 19 and 22), which a 32-bit tenant number could set.
     */
    static Match[] overlayOutMatches() {
        return new Match[] {new Match.Fixed("iifname @" + GUEST_PORT),
                new Match.OutInterfacePrefix(LinkLabel.OVERLAY_PREFIX)};
    }

    /** What the forward rule of {@link #overlayOutMatches} does. */
    static Statement overlayOutStatement() {
        return new Statement.Fixed("meta mark set iifname map @" + TENANT_TAG_OF);
    }

    /** The forward rule that sends frames from the overlay to this bridge's guests to {@link #overlayInChain}. */
    static Match[] overlayInMatches() {
        return new Match[] {new Match.InInterfacePrefix(LinkLabel.OVERLAY_PREFIX),
                new Match.Fixed("oifname @" + GUEST_PORT)};
    }

    /**
     * The host's input from the bridge (guests, and through the overlay other hosts' guests and hosts): replies to
     * the host's own connections (agent, control endpoint, port forwards), the guest service ports and ICMP echo on
     * the gateway address; nothing else of the host.
     */
    static List<NftRuleset.Chain> hostInputChains(NetworkConfig config) {
        var input = NftRuleset.Chain.base("input", ChainType.FILTER, Hook.INPUT, "filter", Policy.ACCEPT)
                .rule(new Statement.Jump(GUESTS_TO_HOST), new Match.InInterface(config.bridgeName(), false));
        String gateway = config.subnet().gateway();
        var toHost = NftRuleset.Chain.regular(GUESTS_TO_HOST)
                .rule(Statement.ACCEPT, new Match.Fixed("ct state established,related"));
        if (!config.guestServicePorts().isEmpty()) {
            toHost = toHost.rule(Statement.ACCEPT, new Match.Fixed("ip daddr " + gateway),
                    new Match.TcpDestinationPorts(config.guestServicePorts()));
        }
        toHost = toHost.rule(Statement.ACCEPT, new Match.Fixed("ip daddr " + gateway + " icmp type echo-request"))
                .rule(Statement.DROP);
        return List.of(input, toHost);
    }

    /** The ip forward rule (first in the chain): a guest whose egress is denied sends nothing off the bridge. */
    static Match[] egressDenyMatches(NetworkConfig config) {
        return new Match[] {new Match.InInterface(config.bridgeName(), false),
                new Match.OutInterface(config.bridgeName(), true), new Match.Fixed("ip saddr @" + EGRESS_DENY)};
    }

    // ---- the elements ----

    /**
     * Gives the vm's tap its identity and policy: replaces whatever elements the tap had with the lease's, in one
     * transaction. When the kernel already holds exactly those elements it only reads.
     */
    void admit(Lease lease) {
        String bridgeTable = "bridge " + config.nftTableName();
        var wanted = new LinkedHashSet<String>();
        wanted.add(GUEST_PORT + " " + quotedTap(lease));
        wanted.add(GUEST_MAC + " " + macElement(lease));
        ipElements(lease).forEach(element -> wanted.add(GUEST_IP + " " + element));
        wanted.add(TENANT_OF + " " + tenantOfElement(lease));
        wanted.add(TENANT_PORT + " " + tenantPortElement(lease));
        wanted.add(TENANT_TAG_OF + " " + tenantTagOfElement(lease));
        wanted.add(TENANT_TAG_PORT + " " + tenantTagPortElement(lease));
        if (lease.egress() == GuestPolicy.Egress.DENY) {
            lease.allAddresses().forEach(address -> wanted.add(EGRESS_DENY + " " + ipText(address)));
        }
        var script = new StringBuilder();
        var held = new LinkedHashSet<String>();
        deleteScript(Set.of(lease.tap()), address -> false, script, held);
        if (held.equals(wanted)) {
            return;
        }
        for (String element : wanted) {
            int space = element.indexOf(' ');
            String set = element.substring(0, space);
            String table = set.equals(EGRESS_DENY) ? "ip " + config.nftTableName() : bridgeTable;
            script.append(add(table, set, element.substring(space + 1)));
        }
        commands.checkWithInput(script.toString(), "nft", "-f", "-");
    }

    /** Adds a second identity to the lease's tap (a snapshot clone's template's MAC and address). */
    void lend(Lease lease, MacAddress mac, String address) {
        String bridgeTable = "bridge " + config.nftTableName();
        commands.checkWithInput(add(bridgeTable, GUEST_MAC, quotedTap(lease) + " . " + mac.value())
                + add(bridgeTable, GUEST_IP, quotedTap(lease) + " . " + Ipv4Cidr.toText(Ipv4Cidr.toBits(address))),
                "nft", "-f", "-");
    }

    /**
     * Lets the lease's tap also send from {@code address} (one of its {@link Lease#extraAddresses()}), under the
     * lease's egress policy; one transaction, and adding what is there already changes nothing.
     */
    void allowAddress(Lease lease, String address) {
        var script = new StringBuilder(add("bridge " + config.nftTableName(), GUEST_IP, ipElement(lease, address)));
        if (lease.egress() == GuestPolicy.Egress.DENY) {
            script.append(add("ip " + config.nftTableName(), EGRESS_DENY, ipText(address)));
        }
        commands.checkWithInput(script.toString(), "nft", "-f", "-");
    }

    /**
     * Ends {@link #allowAddress}: deletes the tap's element for {@code address} and the address's egress entry,
     * whether or not they are there (each is added and deleted in the same transaction, which nft accepts either
     * way). The address is the vm's alone, so its egress entry is nobody else's.
     */
    void disallowAddress(Lease lease, String address) {
        String bridgeTable = "bridge " + config.nftTableName();
        String ipTable = "ip " + config.nftTableName();
        String element = ipElement(lease, address);
        commands.checkWithInput(add(bridgeTable, GUEST_IP, element) + delete(bridgeTable, GUEST_IP, element)
                + add(ipTable, EGRESS_DENY, ipText(address)) + delete(ipTable, EGRESS_DENY, ipText(address)),
                "nft", "-f", "-");
    }

    /** Deletes every element of these taps (and the egress entries of the addresses they had); idempotent. */
    void revoke(Set<String> taps) {
        var script = new StringBuilder();
        deleteScript(taps, address -> false, script, new LinkedHashSet<>());
        if (!script.isEmpty()) {
            commands.checkWithInput(script.toString(), "nft", "-f", "-");
        }
    }

    /** Deletes the elements of every tap not in {@code liveTaps} and every denied address not in {@code liveIps}. */
    List<String> retainOnly(Set<String> liveTaps, Set<String> liveIps) {
        var stale = new LinkedHashSet<String>();
        for (String tap : portsIn(GUEST_PORT)) {
            if (!liveTaps.contains(tap)) {
                stale.add(tap);
            }
        }
        var script = new StringBuilder();
        deleteScript(stale, address -> !liveIps.contains(address), script, new LinkedHashSet<>());
        if (!script.isEmpty()) {
            commands.checkWithInput(script.toString(), "nft", "-f", "-");
        }
        return List.copyOf(stale);
    }

    /** The taps that have elements in a set of the bridge table. */
    List<String> portsIn(String set) {
        var ports = new ArrayList<String>();
        for (JsonNode element : elements("bridge", set)) {
            ports.add(key(element).get(0).asText());
        }
        return ports;
    }

    /**
     * Appends {@code delete element} lines for the elements of {@code taps} in every bridge set, and for the
     * denied addresses those taps had and for those {@code staleIp} accepts. Adds to {@code held} the elements of
     * those taps as {@code "set element"}, rendered like {@link #macElement} and its siblings.
     */
    private void deleteScript(Set<String> taps, java.util.function.Predicate<String> staleIp, StringBuilder script,
                              Set<String> held) {
        String bridgeTable = "bridge " + config.nftTableName();
        var addresses = new LinkedHashSet<String>();
        for (String set : List.of(GUEST_PORT, GUEST_MAC, GUEST_IP, TENANT_OF, TENANT_PORT, TENANT_TAG_OF,
                TENANT_TAG_PORT)) {
            for (JsonNode element : elements("bridge", set)) {
                List<JsonNode> key = key(element);
                String tap = key.get(0).asText();
                if (!taps.contains(tap)) {
                    continue;
                }
                if (set.equals(GUEST_IP)) {
                    addresses.add(key.get(1).asText());
                }
                held.add(set + " " + renderKey(key) + (element.isArray() && element.size() > 1
                        ? " : " + element.get(1).asLong() : ""));
                script.append("delete element ").append(bridgeTable).append(' ').append(set).append(" { ")
                        .append(renderKey(key)).append(" }\n");
            }
        }
        for (JsonNode element : elements("ip", EGRESS_DENY)) {
            String address = element.isObject() && element.has("elem") ? element.path("elem").path("val").asText()
                    : element.asText();
            if (addresses.contains(address)) {
                held.add(EGRESS_DENY + " " + address);
            }
            if (addresses.contains(address) || staleIp.test(address)) {
                script.append("delete element ip ").append(config.nftTableName()).append(' ').append(EGRESS_DENY)
                        .append(" { ").append(Ipv4Cidr.toText(Ipv4Cidr.toBits(address))).append(" }\n");
            }
        }
    }

    private JsonNode elements(String family, String set) {
        JsonNode listing = commands.checkJson("nft", "-j", "list",
                set.equals(TENANT_OF) || set.equals(TENANT_TAG_OF) ? "map" : "set", family,
                config.nftTableName(), set);
        for (JsonNode item : listing.path("nftables")) {
            if (item.has("set")) {
                return item.path("set").path("elem");
            }
            if (item.has("map")) {
                return item.path("map").path("elem");
            }
        }
        return commands.parse(List.of(), "");
    }

    /** The key of a listed element: the parts of a concatenation, or the key of a map entry. */
    private static List<JsonNode> key(JsonNode element) {
        JsonNode node = element;
        if (node.isArray()) {
            node = node.get(0);
        }
        if (node.isObject() && node.has("elem")) {
            node = node.path("elem").path("val");
        }
        var parts = new ArrayList<JsonNode>();
        if (node.isObject() && node.has("concat")) {
            node.path("concat").forEach(parts::add);
        } else {
            parts.add(node);
        }
        return parts;
    }

    /** A listed key as nft reads it back: the tap quoted (after checking it is a name), the rest as listed. */
    private static String renderKey(List<JsonNode> key) {
        var parts = new ArrayList<String>();
        String tap = key.get(0).asText();
        new Match.InInterface(tap, false);
        parts.add('"' + tap + '"');
        for (JsonNode part : key.subList(1, key.size())) {
            String text = part.asText();
            if (part.isNumber()) {
                parts.add(Long.toString(part.asLong()));
            } else if (text.contains(":")) {
                parts.add(new MacAddress(text).value());
            } else {
                parts.add(Ipv4Cidr.toText(Ipv4Cidr.toBits(text)));
            }
        }
        return String.join(" . ", parts);
    }

    private static String add(String table, String set, String element) {
        return "add element " + table + " " + set + " { " + element + " }\n";
    }

    private static String delete(String table, String set, String element) {
        return "delete element " + table + " " + set + " { " + element + " }\n";
    }

    private static List<String> render(List<Lease> leases, Function<Lease, String> element) {
        return leases.stream().map(element).toList();
    }

    private static String quotedTap(Lease lease) {
        new Match.InInterface(lease.tap(), false);
        return '"' + lease.tap() + '"';
    }

    static String macElement(Lease lease) {
        return quotedTap(lease) + " . " + new MacAddress(lease.mac()).value();
    }

    static String ipElement(Lease lease) {
        return ipElement(lease, lease.address());
    }

    /** The {@value #GUEST_IP} elements of the lease: its own address, then its extra addresses. */
    static List<String> ipElements(Lease lease) {
        return lease.allAddresses().stream().map(address -> ipElement(lease, address)).toList();
    }

    private static String ipElement(Lease lease, String address) {
        return quotedTap(lease) + " . " + ipText(address);
    }

    /** The address as a dotted quad, checked (never raw text in a script). */
    private static String ipText(String address) {
        return Ipv4Cidr.toText(Ipv4Cidr.toBits(address));
    }

    static String tenantOfElement(Lease lease) {
        return quotedTap(lease) + " : " + tenantNumber(lease.tenant());
    }

    static String tenantPortElement(Lease lease) {
        return quotedTap(lease) + " . " + tenantNumber(lease.tenant());
    }

    static String tenantTagOfElement(Lease lease) {
        return quotedTap(lease) + " : " + tenantTag(lease.tenant());
    }

    static String tenantTagPortElement(Lease lease) {
        return quotedTap(lease) + " . " + tenantTag(lease.tenant());
    }
}
