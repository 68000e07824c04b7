package dev.kiln.cluster.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 address with a prefix length as a Host's {@code spec.subnet} holds it, e.g. {@code 10.90.2.0/24}: enough
 * arithmetic to tell whether two hosts' slices of the cluster network share addresses. kiln-net's {@code Ipv4Cidr}
 * does the same for the host's own network; kiln-cluster does not depend on kiln-net (host networking: bridges,
 * nftables), so it keeps this small copy rather than pull that module in for a few lines.
 *
 * @param address      the address as 32 bits, as written (host bits may be set; see {@link #isNetwork()})
 * @param prefixLength 0..32
 */
public record Ipv4Subnet(int address, int prefixLength) {
    private static final Pattern FORM = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}/[0-9]{1,2}");

    public Ipv4Subnet {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not between 0 and 32");
        }
    }

    /** {@code a.b.c.d/n} (numbers 0..255 without leading zeros, n 0..32); empty for anything else. */
    public static Optional<Ipv4Subnet> parse(String text) {
        if (!FORM.matcher(text).matches()) {
            return Optional.empty();
        }
        int slash = text.indexOf('/');
        int prefix = Integer.parseInt(text.substring(slash + 1));
        if (prefix > 32) {
            return Optional.empty();
        }
        int bits = 0;
        for (String part : text.substring(0, slash).split("\\.")) {
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return Optional.empty();
            }
            bits = (bits << 8) | octet;
        }
        return Optional.of(new Ipv4Subnet(bits, prefix));
    }

    /** The network address: the address with its host bits cleared. */
    public int network() {
        return address & mask();
    }

    /** True when no host bits are set, i.e. this names a subnet. */
    public boolean isNetwork() {
        return address == network();
    }

    /** This subnet written with its host bits cleared, e.g. {@code 10.90.2.0/24} for {@code 10.90.2.7/24}. */
    public Ipv4Subnet asNetwork() {
        return new Ipv4Subnet(network(), prefixLength);
    }

    /** True when every address of {@code other} lies in this subnet. */
    public boolean contains(Ipv4Subnet other) {
        return other.prefixLength >= prefixLength && (other.address & mask()) == network();
    }

    /** True when the two share at least one address (of two CIDR blocks, one then contains the other). */
    public boolean overlaps(Ipv4Subnet other) {
        return contains(other) || other.contains(this);
    }

    @Override
    public String toString() {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff) + "/" + prefixLength;
    }

    private int mask() {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
