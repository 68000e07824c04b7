package dev.kiln.api.agent;

import dev.kiln.api.ApiException;

/**
 * Makes a guest restored from a snapshot a VM of its own ({@code POST /v1/identity}): its new address, gateway and
 * MAC (the snapshot's guest still has the template's), the host's wall clock (the snapshot's is stale) and fresh
 * entropy for the guest's random pool (a clone must not replay its template's randomness).
 *
 * @param address      the new IPv4 address with prefix, e.g. {@code 10.20.0.7/24}
 * @param gateway      the default gateway
 * @param mac          the new MAC of the guest's NIC
 * @param epochMillis  the host's clock
 * @param entropyHex   random bytes to mix into the guest's pool (32 or more, hex)
 */
public record GuestIdentityChange(String address, String gateway, String mac, long epochMillis, String entropyHex) {
    public GuestIdentityChange {
        address = Wire.text(address, "address");
        gateway = Wire.text(gateway, "gateway");
        mac = Wire.text(mac, "mac");
        entropyHex = Wire.text(entropyHex, "entropyHex");
        if (!address.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}") || !gateway.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new ApiException("address must be a.b.c.d/prefix and gateway a.b.c.d", "e.g. 10.20.0.7/24");
        }
        if (!mac.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
            throw new ApiException("mac must be six lower-case hex pairs", "e.g. 52:54:00:12:34:56");
        }
        if (!entropyHex.matches("([0-9a-f]{2}){32,512}")) {
            throw new ApiException("entropyHex must be 32 to 512 random bytes in hex", "send fresh random bytes");
        }
    }
}
