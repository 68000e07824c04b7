package dev.kiln.net;

/**
 * What a {@link VxlanOverlay} is: the kiln bridge it extends to other hosts, its VXLAN network identifier, the
 * host's own underlay address and the UDP port. All hosts of one cluster use the same {@code vni} and
 * {@code port}; {@code localAddress} is the address the other hosts reach this one at.
 *
 * @param bridgeName   the kiln bridge the overlay device becomes a port of, e.g. {@code kiln0}
 * @param vni          the VXLAN network identifier, 1..16777215; names the device {@code kvx<vni>}
 * @param localAddress this host's underlay IPv4 address (a unicast address configured on one of its interfaces)
 * @param port         the UDP destination port, 1..65535 (IANA's VXLAN port is 4789)
 */
public record OverlayConfig(String bridgeName, int vni, String localAddress, int port) {
    /** The VNI of kiln's cluster network unless configured otherwise. */
    public static final int DEFAULT_VNI = 4242;
    /** IANA's VXLAN port. */
    public static final int DEFAULT_PORT = 4789;
    /** The largest VNI: VXLAN identifiers have 24 bits. */
    public static final int MAX_VNI = 16_777_215;

    public OverlayConfig {
        NetworkConfig.requireBridgeName(bridgeName);
        if (vni < 1 || vni > MAX_VNI) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid VXLAN id " + vni,
                    "use a VNI between 1 and " + MAX_VNI + " (the same on every host of the cluster), e.g. "
                            + DEFAULT_VNI);
        }
        if (port < 1 || port > 65535) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid VXLAN port " + port,
                    "use 1..65535 (the same on every host of the cluster), e.g. " + DEFAULT_PORT);
        }
        requireUnicast("local address", localAddress);
    }

    /** An overlay with the default VNI ({@value #DEFAULT_VNI}) and port ({@value #DEFAULT_PORT}). */
    public OverlayConfig(String bridgeName, String localAddress) {
        this(bridgeName, DEFAULT_VNI, localAddress, DEFAULT_PORT);
    }

    /** The kernel device: {@code kvx<vni>}, at most 11 characters (Linux allows 15). */
    public String deviceName() {
        return LinkLabel.OVERLAY_PREFIX + vni;
    }

    /**
     * Throws {@link NetError#INVALID_ARGUMENT} unless {@code address} is an IPv4 literal that can be a VXLAN
     * endpoint: not unspecified (0.0.0.0), loopback, multicast or broadcast.
     */
    static String requireUnicast(String what, String address) {
        if (address == null) {
            throw new NetException(NetError.INVALID_ARGUMENT, "the " + what + " is missing",
                    "give an IPv4 address such as 172.29.0.1");
        }
        int bits;
        try {
            bits = Ipv4Cidr.toBits(address);
        } catch (NetException e) {
            throw new NetException(NetError.INVALID_ARGUMENT, "the " + what + " '" + address
                    + "' is not an IPv4 address", "give a host's underlay address as a dotted quad, e.g. 172.29.0.1"
                    + " (host names are not resolved)");
        }
        int first = bits >>> 24;
        if (bits == 0 || bits == -1 || first == 127 || (first >= 224 && first <= 239)) {
            throw new NetException(NetError.INVALID_ARGUMENT, "the " + what + " " + address
                    + " cannot be a VXLAN endpoint (it is unspecified, loopback, multicast or broadcast)",
                    "give the unicast address at which the hosts reach each other (the underlay address)");
        }
        return address;
    }
}
