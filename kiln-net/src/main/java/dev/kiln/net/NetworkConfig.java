package dev.kiln.net;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a host's vms are networked: one bridge with the subnet's gateway address, and a state directory for the
 * address leases ({@code stateDir/net/leases.json}).
 *
 * @param bridgeName a Linux interface name (1..15 characters of letters, digits, '_', '-', '.')
 * @param subnet     the guests' subnet (no host bits set, prefix length 30 or less); the gateway is its first host
 * @param stateDir   the daemon's state directory
 * @param hostOnlyPorts guests' TCP ports that only the host may reach (the guests' control endpoint and agent):
 *                   the bridge drops guest-to-guest traffic to them
 */
public record NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir, List<Integer> hostOnlyPorts) {
    public static final String DEFAULT_BRIDGE = "kiln0";
    public static final String DEFAULT_SUBNET = "10.77.0.0/24";
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");

    public NetworkConfig {
        Objects.requireNonNull(bridgeName, "bridgeName");
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(stateDir, "stateDir");
        hostOnlyPorts = List.copyOf(hostOnlyPorts);
        for (int port : hostOnlyPorts) {
            if (port < 1 || port > 65535) {
                throw new NetException(NetError.INVALID_ARGUMENT, "invalid port " + port, "use 1..65535");
            }
        }
        if (!IFNAME.matcher(bridgeName).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid bridge name '" + bridgeName + "'",
                    "use 1..15 characters of letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
        if (!subnet.isNetwork()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "subnet " + subnet + " has host bits set",
                    "use the network address, e.g. " + subnet.network());
        }
        if (subnet.prefixLength() > 30 || subnet.prefixLength() < 8) {
            throw new NetException(NetError.INVALID_ARGUMENT, "subnet " + subnet + " has an unusable size",
                    "use a prefix length between 8 and 30, e.g. /24");
        }
    }

    /** A network that keeps no guest port from other guests. */
    public NetworkConfig(String bridgeName, Ipv4Cidr subnet, Path stateDir) {
        this(bridgeName, subnet, stateDir, List.of());
    }

    public NetworkConfig withHostOnlyPorts(List<Integer> ports) {
        return new NetworkConfig(bridgeName, subnet, stateDir, ports);
    }

    /** Bridge {@code kiln0}, subnet {@code 10.77.0.0/24} (gateway {@code 10.77.0.1}). */
    public static NetworkConfig defaults(Path stateDir) {
        return new NetworkConfig(DEFAULT_BRIDGE, Ipv4Cidr.parse(DEFAULT_SUBNET), stateDir);
    }

    /** The gateway with the subnet's prefix, as configured on the bridge, e.g. {@code 10.77.0.1/24}. */
    public Ipv4Cidr gatewayAddress() {
        return subnet.withAddress(subnet.gateway());
    }

    /**
     * The name of this network's nftables table (family {@code ip}): {@code kiln} for the default bridge,
     * {@code kiln_<bridge>} for any other, so that several kiln networks (e.g. tests) never share a table.
     */
    public String nftTableName() {
        return DEFAULT_BRIDGE.equals(bridgeName) ? "kiln" : "kiln_" + bridgeName.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** {@code stateDir/net}: where this module keeps its files. */
    public Path netStateDir() {
        return stateDir.resolve("net");
    }
}
