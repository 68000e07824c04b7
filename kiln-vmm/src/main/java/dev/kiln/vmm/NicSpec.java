package dev.kiln.vmm;

import dev.kiln.api.RateLimiter;

/**
 * A network interface backed by a host tap device the host layer created. The rate limiters follow Firecracker's
 * meaning: rx is what the guest receives, tx what it sends. Where {@link DriverCapabilities#nicRateLimitsInVmm()}
 * is false the host applies them outside the VMM (tc on the tap).
 */
public record NicSpec(String id, String tapName, String mac, RateLimiter rx, RateLimiter tx) {
    public NicSpec {
        // both end up inside QEMU's comma-separated -netdev option: no character of theirs may start another option
        if (id == null || !id.matches("[a-z][a-z0-9]{0,15}")) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid NIC id '" + id + "'", "use a short lower-case id like net0");
        }
        if (!mac.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid MAC address '" + mac + "'", "use the form 06:00:ac:10:00:02");
        }
        if (!tapName.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid tap name '" + tapName + "'",
                    "tap names have 1-15 letters, digits, '.', '_' or '-'");
        }
    }
}
