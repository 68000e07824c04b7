package dev.kiln.host;

import dev.kiln.api.RateLimiter;
import dev.kiln.net.NicLimits;
import java.util.Optional;

/** The API's NIC limits as the shared limiter type the VMM spec and the host network both take. */
final class NetLimits {
    private NetLimits() {}

    static RateLimiter rx(Optional<NetRate> rate) {
        return rate.flatMap(NetRate::rx).map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
    }

    static RateLimiter tx(Optional<NetRate> rate) {
        return rate.flatMap(NetRate::tx).map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
    }

    static NicLimits toNet(Optional<NetRate> rate) {
        return new NicLimits(rx(rate), tx(rate));
    }
}
