package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.Ipv4Subnet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Whether a host may take its slice of the cluster network (pure). Each host's VMs take addresses from its own
 * {@code spec.subnet}, on one L2 segment with every other host's; two hosts whose subnets share an address could
 * give two VMs the same one. And every host's subnet is a slice of one cluster network, on-link on every host's
 * bridge: a host whose cluster CIDR differs from the others' would send its VMs' traffic for the other hosts' VMs to
 * its gateway instead of across the overlay. A conflict is:
 * <ul>
 *   <li>another registered Host whose subnet overlaps this one's, in any phase: a Lost host is only late, and may
 *       come back with its leases and its subnet (a restarted daemon re-registers as it was), so its subnet stays
 *       taken until its Host is deleted ({@code kiln delete host NAME}). The host's own name is never a conflict: that
 *       is the same host registering again (a restart);</li>
 *   <li>this host's subnet not inside the cluster CIDR, when one is given;</li>
 *   <li>another registered Host, in any phase, that recorded a different cluster CIDR, when this host has one. Hosts
 *       that recorded none (registered by an older kiln) are ignored, and so is the host's own name.</li>
 * </ul>
 * A host without a subnet (not on a cluster network) has no conflicts, and other hosts without one are ignored.
 */
public final class SubnetCheck {
    /** At most this many candidates are tried for a suggestion (a /16 holds 256 /24s). */
    private static final long MAX_CANDIDATES = 1 << 16;

    private SubnetCheck() {
    }

    /** What two VMs with one address cause: the consequence of an {@link Conflict.Overlap} or an outside subnet. */
    static final String SAME_ADDRESS = "two VMs could get the same address";
    /** What a {@link Conflict.ClusterCidrMismatch} causes. */
    static final String NO_ROUTE = "their VMs could not reach each other across the overlay";

    /** Why a host may not take its subnet. */
    public sealed interface Conflict {
        /** Says what conflicts, naming both hosts and both subnets (or the subnet and the cluster CIDR). */
        String message();

        /** What would go wrong if the host joined anyway. */
        default String consequence() {
            return SAME_ADDRESS;
        }

        /** Another registered host's subnet shares addresses with this one's. */
        record Overlap(String host, Ipv4Subnet subnet, String other, Ipv4Subnet otherSubnet, HostPhase otherPhase)
                implements Conflict {
            @Override
            public String message() {
                return "host " + host + "'s subnet " + subnet + " overlaps host " + other + "'s subnet " + otherSubnet
                        + " (" + other + " is " + label(otherPhase) + ")";
            }
        }

        /** This host's subnet is not inside the cluster network. */
        record OutsideCluster(String host, Ipv4Subnet subnet, Ipv4Subnet clusterCidr) implements Conflict {
            @Override
            public String message() {
                return "host " + host + "'s subnet " + subnet + " is not inside the cluster CIDR " + clusterCidr;
            }
        }

        /** Another registered host recorded a different cluster CIDR: the cluster network is one for all hosts. */
        record ClusterCidrMismatch(String host, Ipv4Subnet cidr, String other, Ipv4Subnet otherCidr,
                                   HostPhase otherPhase) implements Conflict {
            @Override
            public String message() {
                return "host " + host + "'s cluster CIDR " + cidr + " differs from host " + other + "'s cluster CIDR "
                        + otherCidr + " (" + other + " is " + label(otherPhase) + ")";
            }

            @Override
            public String consequence() {
                return NO_ROUTE;
            }
        }
    }

    /**
     * The conflicts of {@code host} taking {@code subnet}, given every registered Host (its own among them or not):
     * outside the cluster CIDR first, then by the other host's name its different cluster CIDR and its overlap.
     * Empty when it may take it.
     *
     * @param subnet      e.g. {@code 10.90.2.0/24}; empty: not on a cluster network, never a conflict
     * @param clusterCidr e.g. {@code 10.90.0.0/16}; empty: none configured, only overlaps are checked
     * @throws ClusterException INVALID when {@code subnet} or {@code clusterCidr} is not an IPv4 subnet (other hosts'
     *                          unreadable subnets and cluster CIDRs, which the store's validation keeps out, are
     *                          ignored)
     */
    public static List<Conflict> conflicts(String host, String subnet, String clusterCidr, List<Host> hosts) {
        if (subnet.isEmpty()) {
            return List.of();
        }
        Ipv4Subnet own = parsed("subnet", subnet);
        Optional<Ipv4Subnet> cluster = clusterCidr.isEmpty() ? Optional.empty()
                : Optional.of(parsed("cluster CIDR", clusterCidr));
        List<Conflict> found = new ArrayList<>();
        cluster.filter(c -> !c.contains(own)).ifPresent(c -> found.add(new Conflict.OutsideCluster(host, own, c)));
        for (Host h : hosts.stream().filter(h -> !h.name().equals(host)).sorted(Comparator.comparing(Host::name))
                .toList()) {
            cluster.ifPresent(c -> Ipv4Subnet.parse(h.spec().clusterCidr())
                    .filter(o -> !o.asNetwork().equals(c.asNetwork())).ifPresent(o ->
                            found.add(new Conflict.ClusterCidrMismatch(host, c, h.name(), o, h.status().phase()))));
            Ipv4Subnet.parse(h.spec().subnet()).filter(own::overlaps).ifPresent(s ->
                    found.add(new Conflict.Overlap(host, own, h.name(), s, h.status().phase())));
        }
        return List.copyOf(found);
    }

    /**
     * Refuses {@code host} taking {@code subnet} when {@link #conflicts} finds any.
     *
     * @throws ClusterException SUBNET_CONFLICT naming every conflict, with what to do in its hint
     */
    public static void require(String host, String subnet, String clusterCidr, List<Host> hosts) {
        List<Conflict> found = conflicts(host, subnet, clusterCidr, hosts);
        if (!found.isEmpty()) {
            throw refusal(host, subnet, clusterCidr, hosts, found, "");
        }
    }

    /**
     * The error for {@code found}: each conflict's message, those with the same consequence together and followed by
     * it; {@code more} is added to the message (how it came about).
     */
    static ClusterException refusal(String host, String subnet, String clusterCidr, List<Host> hosts,
                                    List<? extends Conflict> found, String more) {
        Map<String, List<String>> byConsequence = new LinkedHashMap<>();
        found.forEach(c -> byConsequence.computeIfAbsent(c.consequence(), k -> new ArrayList<>()).add(c.message()));
        String message = byConsequence.entrySet().stream().map(e -> String.join("; ", e.getValue()) + ": "
                + e.getKey()).collect(Collectors.joining("; "));
        return new ClusterException(ClusterError.SUBNET_CONFLICT, message + more,
                hint(host, subnet, clusterCidr, hosts, found));
    }

    /**
     * What to do about {@code found}: the other hosts' {@code --cluster-cidr} when it differs, and another
     * {@code --subnet} when the subnet conflicts (a free one named when there is a cluster CIDR).
     */
    static String hint(String host, String subnet, String clusterCidr, List<Host> hosts,
                       List<? extends Conflict> found) {
        List<Conflict.ClusterCidrMismatch> mismatches = found.stream()
                .filter(Conflict.ClusterCidrMismatch.class::isInstance).map(Conflict.ClusterCidrMismatch.class::cast)
                .toList();
        StringBuilder hint = new StringBuilder();
        if (mismatches.isEmpty()) {
            hint.append("start this host with another --subnet");
            if (!clusterCidr.isEmpty()) {
                hint.append(" inside the cluster CIDR ").append(clusterCidr).append(" that no other host has");
            }
            suggestion(host, subnet, clusterCidr, hosts).ifPresent(s -> hint.append(", such as ").append(s));
            hint.append(" ('kiln get hosts -o wide' lists the hosts' subnets)");
        } else {
            Map<Ipv4Subnet, List<String>> theirs = new LinkedHashMap<>();
            mismatches.forEach(m -> theirs.computeIfAbsent(m.otherCidr(), k -> new ArrayList<>()).add(m.other()));
            Ipv4Subnet wanted = theirs.keySet().iterator().next();
            if (theirs.size() == 1) {
                List<String> others = theirs.get(wanted);
                hint.append("start this host's daemon with --cluster-cidr ").append(wanted).append(" like host")
                        .append(others.size() > 1 ? "s " : " ").append(String.join(", ", others));
            } else {
                hint.append("the other hosts differ too (").append(theirs.entrySet().stream()
                        .map(e -> String.join(", ", e.getValue()) + ": " + e.getKey())
                        .collect(Collectors.joining("; "))).append("): start every host's daemon with one ")
                        .append("--cluster-cidr");
            }
            hint.append(", since all hosts of a cluster share one cluster network");
            boolean outside = Ipv4Subnet.parse(subnet).filter(s -> !wanted.contains(s)).isPresent();
            if (outside || found.stream().anyMatch(Conflict.Overlap.class::isInstance)) {
                hint.append(", and with a --subnet inside it that no other host has");
                suggestion(host, subnet, wanted.toString(), hosts).ifPresent(s -> hint.append(", such as ")
                        .append(s));
            }
            hint.append(" ('kiln get hosts -o yaml' shows each host's clusterCidr and subnet)");
        }
        Map<String, String> lost = new LinkedHashMap<>(); // a Lost host → what deleting it does
        for (Conflict c : found) {
            switch (c) {
                case Conflict.Overlap o when o.otherPhase() == HostPhase.LOST ->
                        lost.put(o.other(), "frees its subnet");
                case Conflict.ClusterCidrMismatch m when m.otherPhase() == HostPhase.LOST ->
                        lost.putIfAbsent(m.other(), "removes it");
                default -> {
                }
            }
        }
        lost.forEach((name, frees) -> hint.append("; host ").append(name).append(" is Lost: if it is gone for good, ")
                .append("'kiln delete host ").append(name).append("' ").append(frees));
        return hint.toString();
    }

    /**
     * The first subnet as large as {@code subnet} inside {@code clusterCidr} that overlaps no other host's subnet;
     * empty without a cluster CIDR, or when none is free among the first {@value #MAX_CANDIDATES}.
     */
    public static Optional<String> suggestion(String host, String subnet, String clusterCidr, List<Host> hosts) {
        if (subnet.isEmpty() || clusterCidr.isEmpty()) {
            return Optional.empty();
        }
        Ipv4Subnet own = parsed("subnet", subnet);
        Ipv4Subnet cluster = parsed("cluster CIDR", clusterCidr);
        if (own.prefixLength() < cluster.prefixLength()) {
            return Optional.empty();
        }
        List<Ipv4Subnet> taken = hosts.stream().filter(h -> !h.name().equals(host))
                .flatMap(h -> Ipv4Subnet.parse(h.spec().subnet()).stream()).toList();
        long step = 1L << (32 - own.prefixLength());
        long count = Math.min(1L << (own.prefixLength() - cluster.prefixLength()), MAX_CANDIDATES);
        for (long i = 0; i < count; i++) {
            Ipv4Subnet candidate = new Ipv4Subnet((int) (Integer.toUnsignedLong(cluster.network()) + i * step),
                    own.prefixLength());
            if (taken.stream().noneMatch(candidate::overlaps)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    private static Ipv4Subnet parsed(String what, String text) {
        return Ipv4Subnet.parse(text).orElseThrow(() -> new ClusterException(ClusterError.INVALID, "the " + what
                + " '" + text + "' is not an IPv4 subnet", "write it as a.b.c.d/n, e.g. 10.90.2.0/24"));
    }

    private static String label(HostPhase phase) {
        return phase.name().charAt(0) + phase.name().substring(1).toLowerCase();
    }
}
