package dev.kiln.net;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An Ethernet MAC address in lower-case colon form, e.g. {@code 0a:1b:2c:3d:4e:5f}.
 *
 * @param value six colon-separated hex bytes
 */
public record MacAddress(String value) {
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    public MacAddress {
        Objects.requireNonNull(value, "value");
        value = value.toLowerCase(Locale.ROOT);
        if (!FORMAT.matcher(value).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid MAC address '" + value + "'",
                    "write it as six colon-separated hex bytes, e.g. 02:00:00:00:00:01");
        }
    }

    /**
     * The guest MAC of a vm: the first six bytes of SHA-256 of the id, with the locally-administered bit set and
     * the multicast bit cleared. The same id always gives the same MAC, on every host.
     */
    public static MacAddress forVm(String vmId) {
        Objects.requireNonNull(vmId, "vmId");
        return derived("kiln-vm-mac:" + vmId);
    }

    /** A locally administered unicast MAC derived from {@code seed} by SHA-256. */
    static MacAddress derived(String seed) {
        byte[] hash = sha256(seed);
        hash[0] = (byte) ((hash[0] & 0xfc) | 0x02);
        return new MacAddress(HexFormat.ofDelimiter(":").formatHex(hash, 0, 6));
    }

    /** True when the locally-administered bit is set (never collides with a vendor-assigned MAC). */
    public boolean isLocallyAdministered() {
        return (firstByte() & 0x02) != 0;
    }

    /** True when the multicast bit is clear, i.e. usable as a NIC's own address. */
    public boolean isUnicast() {
        return (firstByte() & 0x01) == 0;
    }

    @Override
    public String toString() {
        return value;
    }

    private int firstByte() {
        return Integer.parseInt(value.substring(0, 2), 16);
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM provides SHA-256", e);
        }
    }
}
