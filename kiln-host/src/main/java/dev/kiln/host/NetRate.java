package dev.kiln.host;

import java.util.Optional;

/** NIC limits: rx is what the guest receives, tx what it sends. */
public record NetRate(Optional<RateLimiterJson> rx, Optional<RateLimiterJson> tx) {
    public NetRate {
        rx = rx == null ? Optional.empty() : rx;
        tx = tx == null ? Optional.empty() : tx;
    }
}
