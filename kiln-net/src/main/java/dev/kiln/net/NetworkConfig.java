package dev.kiln.net;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a host's vms are networked: one bridge with the subnet's gateway address, and a state directory for the
 * address leases ({@code stateDir/net/leases.json}).
 *
 * <p><b>Cluster network.</b> When several hosts form one cluster ({@link #withClusterCidr}), the cluster CIDR
 * (e.g. {@code 10.90.0.0/16}) is one layer-2 segment spread over the hosts by a {@link VxlanOverlay}, and
 * {@code subnet} (e.g. {@code 10.90.2.0/24}) is this host's slice of it. Leases still come only from
 * {@code subnet}, but every address is on-link in the whole cluster CIDR: the bridge carries the gateway with the
 * cluster prefix ({@code 10.90.2.1/16}) and guests get their address with it ({@code 10.90.2.5/16}), so they
 * reach guests of other hosts directly, without a router and without address translation. Without a cluster
 * CIDR the on-link network is the subnet, as on a single host.
 *
 * @param bridgeName a Linux interface name (1..15 characters of letters, digits, '_', '-', '.')
 * @param subnet     the guests' subnet (no host bits set, prefix length 30 or less); the gateway is its first host
 * @param stateDir   the daemon's state directory
 * @param hostOnlyPorts guests' TCP ports that only the host may reach (the guests' control endpoint and agent):
 *                   the bridge drops guest-to-guest traffic to them, including traffic that comes in from other
 *                   hosts through the overlay
 * @param onLink     the network that is on-link on the bridge: the cluster CIDR, or {@code subnet} itself when
 *                   this host is not part of a cluster network (see {@link #clusterCidr()}); it must contain
 *                   {@code subnet}
 * @param guestServicePorts the host's TCP ports on the bridge address that guests may open (kiln's image registry
 *                   and guest gateway, say): with isolation on, guests reach nothing else on the host but replies
 *                   to the host's own connections, ICMP echo, and these
 * @param isolation  whether guests are isolated ({@link GuestGuard}): on unless turned off for debugging
 */
public record NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir, List<Integer> hostOnlyPorts,
                            Ipv4Cidr onLink, List<Integer> guestServicePorts, Isolation isolation) {
    public static final String DEFAULT_BRIDGE = "kiln0";
    public static final String DEFAULT_SUBNET = "10.77.0.0/24";
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");

    /** Guest isolation on the bridge: anti-spoofing, tenants, host services, egress policy ({@link GuestGuard}). */
    public enum Isolation { ON, OFF }

    public NetworkConfig {
        Objects.requireNonNull(bridgeName, "bridgeName");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(isolation, "isolation");
        hostOnlyPorts = List.copyOf(hostOnlyPorts);
        guestServicePorts = List.copyOf(guestServicePorts);
        for (int port : java.util.stream.Stream.concat(hostOnlyPorts.stream(), guestServicePorts.stream()).toList()) {
            if (port < 1 || port > 65535) {
                throw new NetException(NetError.INVALID_ARGUMENT, "invalid port " + port, "use 1..65535");
            }
        }
        requireBridgeName(bridgeName);
        if (!subnet.isNetwork()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "subnet " + subnet + " has host bits set",
                    "use the network address, e.g. " + subnet.network());
        }
        if (subnet.prefixLength() > 30 || subnet.prefixLength() < 8) {
            throw new NetException(NetError.INVALID_ARGUMENT, "subnet " + subnet + " has an unusable size",
                    "use a prefix length between 8 and 30, e.g. /24");
        }
        Objects.requireNonNull(onLink, "onLink");
        if (!onLink.isNetwork()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "cluster CIDR " + onLink + " has host bits set",
                    "use the network address, e.g. " + onLink.network());
        }
        if (!onLink.contains(subnet)) {
            throw new NetException(NetError.INVALID_ARGUMENT, "cluster CIDR " + onLink + " does not contain the"
                    + " host's subnet " + subnet, "give each host a subnet inside the cluster CIDR (e.g. "
                    + "10.90.2.0/24 in 10.90.0.0/16), or a cluster CIDR that contains " + subnet);
        }
        if (onLink.prefixLength() < 8) {
            throw new NetException(NetError.INVALID_ARGUMENT, "cluster CIDR " + onLink + " is too large",
                    "use a prefix length of 8 or more, e.g. /16; every address in it is on-link on the bridge");
        }
    }

    /** Isolation on, no guest service port. */
    public NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir, List<Integer> hostOnlyPorts,
                         Ipv4Cidr onLink) {
        this(bridgeName, subnet, stateDir, hostOnlyPorts, onLink, List.of(), Isolation.ON);
    }

    /** A network that is not part of a cluster network (the on-link network is {@code subnet}). */
    public NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir, List<Integer> hostOnlyPorts) {
        this(bridgeName, subnet, stateDir, hostOnlyPorts, subnet);
    }

    /** A network that keeps no guest port from other guests. */
    public NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir) {
        this(bridgeName, subnet, stateDir, List.of());
    }

    /** The same network with these host-only guest ports. */
    public NetworkConfig withHostOnlyPorts(List<Integer> ports) {
        return new NetworkConfig(bridgeName, subnet, stateDir, ports, onLink, guestServicePorts, isolation);
    }

    /** The same network whose guests may open these TCP ports on the bridge address. */
    public NetworkConfig withGuestServicePorts(List<Integer> ports) {
        return new NetworkConfig(bridgeName, subnet, stateDir, hostOnlyPorts, onLink, ports, isolation);
    }

    /** The same network with guest isolation on or (for debugging only) off. */
    public NetworkConfig withIsolation(Isolation value) {
        return new NetworkConfig(bridgeName, subnet, stateDir, hostOnlyPorts, onLink, guestServicePorts, value);
    }

    /**
     * The same network as this host's slice of a cluster network, e.g. subnet {@code 10.90.2.0/24} in
     * {@code 10.90.0.0/16}.
     *
     * @throws NetException {@link NetError#INVALID_ARGUMENT} when {@code cidr} has host bits set, does not contain
     *                      {@code subnet} or is larger than a /8
     */
    public NetworkConfig withClusterCidr(Ipv4Cidr cidr) {
        return new NetworkConfig(bridgeName, subnet, stateDir, hostOnlyPorts, Objects.requireNonNull(cidr, "cidr"),
                guestServicePorts, isolation);
    }

    /**
     * The cluster CIDR this host's subnet is a slice of; empty when the host is not part of a cluster network (a
     * cluster CIDR equal to the subnet is the same as none).
     */
    public Optional<Ipv4Cidr> clusterCidr() {
        return onLink.equals(subnet) ? Optional.empty() : Optional.of(onLink);
    }

    /** Bridge {@code kiln0}, subnet {@code 10.77.0.0/24} (gateway {@code 10.77.0.1}). */
    public static NetworkConfig defaults(Path stateDir) {
        return new NetworkConfig(DEFAULT_BRIDGE, Ipv4Cidr.parse(DEFAULT_SUBNET), stateDir);
    }

    /**
     * The gateway (the first host of {@code subnet}) with the on-link prefix, as configured on the bridge: e.g.
     * {@code 10.77.0.1/24}, or {@code 10.90.2.1/16} in a cluster network.
     */
    public Ipv4Cidr gatewayAddress() {
        return onLink.withAddress(subnet.gateway());
    }

    /**
     * The name of this network's nftables table (family {@code ip}): {@code kiln} for the default bridge,
     * {@code kiln_<bridge>} for any other, so that several kiln networks (e.g. tests) never share a table.
     */
    public String nftTableName() {
        return DEFAULT_BRIDGE.equals(bridgeName) ? "kiln" : "kiln_" + bridgeName.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** Throws {@link NetError#INVALID_ARGUMENT} unless {@code name} is a usable Linux interface name. */
    static String requireBridgeName(String name) {
        if (name == null || !IFNAME.matcher(name).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid bridge name '" + name + "'",
                    "use 1..15 characters of letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
        return name;
    }

    /** {@code stateDir/net}: where this module keeps its files. */
    public Path netStateDir() {
        return stateDir.resolve("net");
    }
}
