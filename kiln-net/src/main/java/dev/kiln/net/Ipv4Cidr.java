package dev.kiln.net;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 address with a prefix length, e.g. {@code 10.77.0.0/24} (a subnet) or {@code 10.77.0.5/24} (a guest's
 * address in its subnet). The address is kept as written; {@link #network()} gives the masked form.
 *
 * @param address      dotted quad without leading zeros, e.g. {@code "10.77.0.5"}
 * @param prefixLength 0..32
 */
public record Ipv4Cidr(String address, int prefixLength) {
    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");

    public Ipv4Cidr {
        Objects.requireNonNull(address, "address");
        toBits(address);
        if (prefixLength < 0 || prefixLength > 32) {
            throw invalid(address + "/" + prefixLength, "the prefix length must be between 0 and 32");
        }
    }

    /** Parses {@code a.b.c.d/n}; throws {@link NetError#INVALID_ARGUMENT} with a hint on anything else. */
    public static Ipv4Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/')) {
            throw invalid(text, "write it as a.b.c.d/n, e.g. 10.77.0.0/24");
        }
        String prefix = text.substring(slash + 1);
        if (!prefix.matches("[0-9]{1,2}")) {
            throw invalid(text, "the prefix length must be a number between 0 and 32");
        }
        try {
            return new Ipv4Cidr(text.substring(0, slash), Integer.parseInt(prefix));
        } catch (NetException e) {
            throw invalid(text, e.hint());
        }
    }

    /** The subnet this address is in, with the host bits cleared. */
    public Ipv4Cidr network() {
        return new Ipv4Cidr(toText(networkBits()), prefixLength);
    }

    /** True when the address has no host bits set, i.e. this denotes a subnet. */
    public boolean isNetwork() {
        return toBits(address) == networkBits();
    }

    /** The conventional gateway of the subnet: its first host address (network + 1). Needs a prefix of 30 or less. */
    public String gateway() {
        requireHosts();
        return toText(networkBits() + 1);
    }

    /** The broadcast address of the subnet (all host bits set). */
    public String broadcast() {
        return toText(networkBits() | ~mask());
    }

    /** True when {@code ipv4Address} (a dotted quad) lies in this subnet. */
    public boolean contains(String ipv4Address) {
        return (toBits(ipv4Address) & mask()) == networkBits();
    }

    /** True when every address of {@code other} lies in this subnet. */
    public boolean contains(Ipv4Cidr other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    /** True when the two subnets share at least one address. */
    public boolean overlaps(Ipv4Cidr other) {
        return contains(other) || other.contains(this);
    }

    /** The same prefix length with another address, e.g. a guest's {@code 10.77.0.5/24}. */
    public Ipv4Cidr withAddress(String ipv4Address) {
        return new Ipv4Cidr(ipv4Address, prefixLength);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }

    /** Number of addresses in the subnet, including network and broadcast. */
    long size() {
        return 1L << (32 - prefixLength);
    }

    /** The address {@code offset} above the network address. */
    String addressAt(long offset) {
        if (offset < 0 || offset >= size()) {
            throw new IllegalArgumentException("offset " + offset + " outside " + this);
        }
        return toText((int) (networkBits() + offset));
    }

    /** How far {@code ipv4Address} lies above the network address. */
    long offsetOf(String ipv4Address) {
        if (!contains(ipv4Address)) {
            throw new IllegalArgumentException(ipv4Address + " outside " + this);
        }
        return Integer.toUnsignedLong(toBits(ipv4Address)) - Integer.toUnsignedLong(networkBits());
    }

    private void requireHosts() {
        if (prefixLength > 30) {
            throw invalid(toString(), "a subnet for guests needs a prefix length of 30 or less");
        }
    }

    private int mask() {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    private int networkBits() {
        return toBits(address) & mask();
    }

    static int toBits(String dotted) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw invalid(dotted, "an IPv4 address has four dot-separated numbers 0..255");
        }
        int bits = 0;
        for (String part : parts) {
            if (!OCTET.matcher(part).matches() || Integer.parseInt(part) > 255) {
                throw invalid(dotted, "each part of an IPv4 address is a number 0..255 without leading zeros");
            }
            bits = (bits << 8) | Integer.parseInt(part);
        }
        return bits;
    }

    static String toText(int bits) {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }

    private static NetException invalid(String text, String hint) {
        return new NetException(NetError.INVALID_ARGUMENT, "invalid IPv4 CIDR or address '" + text + "'", hint);
    }
}
