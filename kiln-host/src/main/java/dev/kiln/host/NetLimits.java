package dev.kiln.host;

import dev.kiln.vmm.RateLimiter;
import java.util.Optional;

/** Turns the API's NIC limits into the VMM's and the host network's types. */
final class NetLimits {
    private NetLimits() {}

    static RateLimiter rx(Optional<NetRate> rate) {
        return rate.flatMap(NetRate::rx).map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
    }

    static RateLimiter tx(Optional<NetRate> rate) {
        return rate.flatMap(NetRate::tx).map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
    }

    static dev.kiln.net.NicLimits toNet(Optional<NetRate> rate) {
        return new dev.kiln.net.NicLimits(net(rx(rate)), net(tx(rate)));
    }

    private static dev.kiln.net.RateLimiter net(RateLimiter l) {
        return new dev.kiln.net.RateLimiter(
                l.bandwidth().map(b -> new dev.kiln.net.TokenBucket(b.size(), b.oneTimeBurst(), b.refillTime())),
                l.ops().map(b -> new dev.kiln.net.TokenBucket(b.size(), b.oneTimeBurst(), b.refillTime())));
    }
}
