package dev.kiln.vmm;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a guest is, beyond its VM id: its address on the tap network, its gateway, its hostname and the token its agent
 * requires. The Firecracker driver hands this to the guest through MMDS (see
 * {@code dev.kiln.vmm.firecracker.MmdsIdentity}); the QEMU driver does not read it (the host passes the same values on
 * the kernel command line). {@link #toString()} never shows the token.
 *
 * @param address    the guest's IPv4 address with prefix, e.g. {@code 10.20.0.2/24}
 * @param gateway    the default gateway, e.g. {@code 10.20.0.1}
 * @param hostname   the guest's hostname
 * @param agentToken the hex token the guest agent requires of its callers
 */
public record GuestIdentity(Optional<String> address, Optional<String> gateway, Optional<String> hostname,
        Optional<String> agentToken) {
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern CIDR = Pattern.compile(IPV4.pattern() + "/([0-9]|[12][0-9]|3[0-2])");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern TOKEN = Pattern.compile("[0-9a-fA-F]{16,256}");

    public GuestIdentity {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(agentToken, "agentToken");
        address.ifPresent(a -> require(CIDR, a, "guest address", "write it as a.b.c.d/prefix, e.g. 10.20.0.2/24"));
        gateway.ifPresent(g -> require(IPV4, g, "gateway", "write it as a.b.c.d, e.g. 10.20.0.1"));
        hostname.ifPresent(h -> require(HOSTNAME, h, "hostname", "use 1-63 letters, digits or inner dashes"));
        agentToken.ifPresent(t -> {
            if (!TOKEN.matcher(t).matches()) {
                // the token itself is never echoed
                throw new VmmException(VmmError.INVALID_SPEC, "agent token is not 16-256 hex digits",
                        "generate one with 'openssl rand -hex 16'");
            }
        });
    }

    /** No identity beyond the VM id. */
    public static GuestIdentity none() {
        return new GuestIdentity(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public GuestIdentity withAddress(String cidr, String gateway) {
        return new GuestIdentity(Optional.of(cidr), Optional.of(gateway), hostname, agentToken);
    }

    public GuestIdentity withHostname(String name) {
        return new GuestIdentity(address, gateway, Optional.of(name), agentToken);
    }

    public GuestIdentity withAgentToken(String token) {
        return new GuestIdentity(address, gateway, hostname, Optional.of(token));
    }

    /** The address without its prefix, e.g. {@code 10.20.0.2}. */
    public Optional<String> ip() {
        return address.map(a -> a.substring(0, a.indexOf('/')));
    }

    @Override
    public String toString() {
        return "GuestIdentity[address=" + address.orElse("-") + ", gateway=" + gateway.orElse("-") + ", hostname="
                + hostname.orElse("-") + ", agentToken=" + agentToken.map(t -> "(hidden)").orElse("-") + "]";
    }

    private static void require(Pattern p, String value, String what, String hint) {
        if (!p.matcher(value).matches()) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid " + what + " '" + value + "'", hint);
        }
    }
}
