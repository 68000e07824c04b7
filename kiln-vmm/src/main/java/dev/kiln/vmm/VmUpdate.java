package dev.kiln.vmm;

import dev.kiln.api.RateLimiter;
import java.util.Map;

/** What may change on a running VM: rate limiters of drives (by drive id) and NICs (by NIC id). */
public record VmUpdate(Map<String, RateLimiter> driveLimits, Map<String, NicLimits> nicLimits) {
    public record NicLimits(RateLimiter rx, RateLimiter tx) {}

    public VmUpdate {
        driveLimits = Map.copyOf(driveLimits);
        nicLimits = Map.copyOf(nicLimits);
    }
}
