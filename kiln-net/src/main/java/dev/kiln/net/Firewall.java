package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.net.NftRuleset.ChainType;
import dev.kiln.net.NftRuleset.Hook;
import dev.kiln.net.NftRuleset.Match;
import dev.kiln.net.NftRuleset.Policy;
import dev.kiln.net.NftRuleset.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The nftables side of a kiln network: one table (named by {@link NetworkConfig#nftTableName()}, the table name is
 * kiln's label) with
 * <ul>
 *   <li>{@code postrouting} (nat, srcnat): masquerade traffic from the subnet that leaves through any interface
 *       other than the bridge;</li>
 *   <li>{@code forward} (filter): accept traffic from and to the bridge. With
 *       {@code net.bridge.bridge-nf-call-iptables=1} bridged guest-to-guest frames pass this hook as
 *       {@code iifname BR oifname BR}, which the first rule accepts.</li>
 * </ul>
 * Both chains keep policy accept so the table never blocks the host's other traffic.
 * <p>
 * When the network has host-only guest ports, a second table of the same name in family {@code bridge} drops
 * frames that a kiln tap sends to another bridge port with one of those TCP destination ports: guests cannot
 * reach each other's control endpoint or agent, while the host (whose traffic leaves through the bridge device,
 * not a port) still can. This does not depend on {@code br_netfilter}.
 *
 * <p>With isolation on ({@link NetworkConfig#isolation()}, the default) both tables also carry {@link GuestGuard}'s
 * sets and chains: anti-spoofing and tenants in the bridge table, the host's input from the bridge and the egress
 * policy in the ip table.
 *
 * <h2>In a cluster network</h2>
 * With a cluster CIDR ({@link NetworkConfig#clusterCidr()}) guests of other hosts are on the same layer-2 segment,
 * reached through the overlay device ({@code kvx<vni>}, a port of the bridge). The rules change where that matters:
 * <ul>
 *   <li><b>No masquerade inside the cluster.</b> The masquerade rule also requires {@code ip daddr != CLUSTER}.
 *       Guest-to-guest traffic between hosts is normally bridged (never routed, so never NATed), but wherever a
 *       cluster address is routed through another interface (an L3 underlay, a more specific route) the guest's
 *       address must still arrive as the source: pods see each other's real addresses.</li>
 *   <li><b>Masquerade only this host's guests.</b> The source match stays {@code subnet}, not the cluster CIDR:
 *       guests of other hosts use their own host's gateway, and this host must not become an anonymous exit for
 *       them.</li>
 *   <li><b>Host-only ports across hosts.</b> Frames that come in through an overlay device (the other hosts'
 *       guests, and the other hosts themselves) are dropped like those of a local tap when they go to a host-only
 *       port: each guest's control endpoint and agent answer only their own host. The rule keys on the input
 *       port ({@code iifname "kvx*"}), not on a source address inside the cluster CIDR, because a guest chooses
 *       its source address and could step outside any address match. It is part of every isolation table (it
 *       matches nothing on a host without an overlay), so an overlay can never open the ports by accident. A
 *       local guest's frames to other hosts' guests are already dropped by the tap rule, whatever the
 *       destination.</li>
 *   <li>The {@code forward} chain keys on interfaces, not addresses, and needs no change.</li>
 * </ul>
 */
final class Firewall {
    private final Commands commands;

    Firewall(Commands commands) {
        this.commands = commands;
    }

    static NftRuleset rulesetFor(NetworkConfig config, List<Lease> leases) {
        String bridge = config.bridgeName();
        var masquerade = new ArrayList<Match>();
        masquerade.add(new Match.SourceIn(config.subnet()));
        config.clusterCidr().ifPresent(cluster -> masquerade.add(new Match.DestinationIn(cluster, true)));
        masquerade.add(new Match.OutInterface(bridge, true));
        var postrouting = NftRuleset.Chain.base("postrouting", ChainType.NAT, Hook.POSTROUTING, "srcnat",
                Policy.ACCEPT).rule(Statement.MASQUERADE, masquerade.toArray(Match[]::new));
        var forward = NftRuleset.Chain.base("forward", ChainType.FILTER, Hook.FORWARD, "filter", Policy.ACCEPT);
        if (config.isolation() == NetworkConfig.Isolation.OFF) {
            return NftRuleset.of(NftRuleset.Family.IP, config.nftTableName(), postrouting,
                    forward.rule(Statement.ACCEPT, new Match.InInterface(bridge, false))
                            .rule(Statement.ACCEPT, new Match.OutInterface(bridge, false)));
        }
        forward = forward.rule(Statement.DROP, GuestGuard.controlEndpointMatches(config))
                .rule(Statement.DROP, GuestGuard.egressDenyMatches(config))
                .rule(Statement.ACCEPT, new Match.InInterface(bridge, false))
                .rule(Statement.ACCEPT, new Match.OutInterface(bridge, false));
        var chains = new ArrayList<NftRuleset.Chain>(List.of(postrouting, forward));
        chains.addAll(GuestGuard.hostInputChains(config));
        return new NftRuleset(NftRuleset.Family.IP, config.nftTableName(), GuestGuard.ipSets(leases), chains);
    }

    /** {@link #rulesetFor(NetworkConfig, List)} without leases. */
    static NftRuleset rulesetFor(NetworkConfig config) {
        return rulesetFor(config, List.of());
    }

    /**
     * The bridge-family table: guests off each other's host-only ports and, with isolation on, the guard (anti-
     * spoofing, tenants; see {@link GuestGuard}) with the leases' elements; empty when there is nothing to do.
     */
    static Optional<NftRuleset> isolationRulesetFor(NetworkConfig config, List<Lease> leases) {
        boolean guard = config.isolation() == NetworkConfig.Isolation.ON;
        if (config.hostOnlyPorts().isEmpty() && !guard) {
            return Optional.empty();
        }
        var forward = NftRuleset.Chain.base("forward", ChainType.FILTER, Hook.FORWARD, "0", Policy.ACCEPT);
        if (!config.hostOnlyPorts().isEmpty()) {
            var ports = new Match.TcpDestinationPorts(config.hostOnlyPorts());
            forward = forward.rule(Statement.DROP, new Match.InInterfacePrefix(LinkLabel.TAP_PREFIX), ports)
                    .rule(Statement.DROP, new Match.InInterfacePrefix(LinkLabel.OVERLAY_PREFIX), ports);
        }
        if (!guard) {
            return Optional.of(NftRuleset.of(NftRuleset.Family.BRIDGE, config.nftTableName(), forward));
        }
        forward = forward.rule(Statement.DROP, GuestGuard.unknownTapMatches())
                .rule(new Statement.Jump(GuestGuard.TENANTS),
                new Match.Fixed("iifname @" + GuestGuard.GUEST_PORT + " oifname @" + GuestGuard.GUEST_PORT))
                .rule(GuestGuard.overlayOutStatement(), GuestGuard.overlayOutMatches())
                .rule(new Statement.Jump(GuestGuard.OVERLAY_IN), GuestGuard.overlayInMatches());
        var chains = new ArrayList<>(GuestGuard.bridgeGuardChains());
        chains.add(forward);
        chains.add(GuestGuard.tenantChain());
        chains.add(GuestGuard.overlayInChain());
        return Optional.of(new NftRuleset(NftRuleset.Family.BRIDGE, config.nftTableName(),
                GuestGuard.bridgeSets(leases), chains));
    }

    /** {@link #isolationRulesetFor(NetworkConfig, List)} without leases. */
    static Optional<NftRuleset> isolationRulesetFor(NetworkConfig config) {
        return isolationRulesetFor(config, List.of());
    }

    /** Atomically (re)creates the table, then verifies that the kernel holds every chain with every rule. */
    void ensure(NftRuleset ruleset) {
        commands.checkWithInput(ruleset.render(), "nft", "-f", "-");
        Map<String, Integer> rules = new HashMap<>();
        Map<String, String> hooks = new HashMap<>();
        for (JsonNode item : listTable(ruleset)) {
            if (item.has("chain")) {
                hooks.put(item.path("chain").path("name").asText(), item.path("chain").path("hook").asText());
            } else if (item.has("rule")) {
                rules.merge(item.path("rule").path("chain").asText(), 1, Integer::sum);
            }
        }
        for (NftRuleset.Chain chain : ruleset.chains()) {
            if (!chain.hookKeyword().equals(hooks.get(chain.name()))
                    || rules.getOrDefault(chain.name(), 0) != chain.rules().size()) {
                throw new NetException(NetError.VERIFY_FAILED, "nftables table " + ruleset.qualifiedTable()
                        + " lacks chain " + chain.name() + " or some of its " + chain.rules().size() + " rules",
                        "inspect with 'nft list table " + ruleset.qualifiedTable() + "'");
            }
        }
    }

    boolean exists(NftRuleset.Family family, String table) {
        for (JsonNode item : commands.checkJson("nft", "-j", "list", "tables").path("nftables")) {
            JsonNode node = item.path("table");
            if (table.equals(node.path("name").asText()) && family.keyword().equals(node.path("family").asText())) {
                return true;
            }
        }
        return false;
    }

    /** Deletes the table if it exists; idempotent. */
    void remove(NftRuleset.Family family, String table) {
        if (exists(family, table)) {
            commands.check("nft", "delete", "table", family.keyword(), table);
        }
        if (exists(family, table)) {
            throw new NetException(NetError.VERIFY_FAILED, "nftables table " + table + " still exists after delete",
                    "delete it by hand: nft delete table " + family.keyword() + " " + table);
        }
    }

    private JsonNode listTable(NftRuleset ruleset) {
        return commands.checkJson("nft", "-j", "list", "table", ruleset.family().keyword(), ruleset.table())
                .path("nftables");
    }
}
