package dev.kiln.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * /24 subnets that no interface of this host has an address in now: for tools and tests that bring up a network of
 * their own beside the daemon's (and beside other runs of themselves), so that they never hit
 * {@link NetError#SUBNET_CONFLICT}.
 */
public final class FreeSubnets {
    private FreeSubnets() {}

    /** The networks of every IPv4 address on this host's interfaces ({@code ip -j -4 addr show}). */
    public static List<Ipv4Cidr> inUse() {
        return new Links(new Commands(HostEnvironment.system().runner(), new ObjectMapper())).addresses().stream()
                .map(a -> a.cidr().network()).toList();
    }

    /**
     * {@code n} subnets {@code PREFIX.X.0/24} (prefix such as {@code "10.79"}) that overlap nothing in {@code used},
     * trying the third octets {@code pick.applyAsInt(0)}, {@code pick.applyAsInt(1)}, ... up to 1,000 attempts.
     *
     * @throws NetException {@link NetError#SUBNET_CONFLICT} when fewer than {@code n} are free
     */
    public static List<String> pick(String prefix, int n, List<Ipv4Cidr> used, IntUnaryOperator pick) {
        List<String> free = new ArrayList<>();
        for (int attempt = 0; attempt < 1000 && free.size() < n; attempt++) {
            int third = pick.applyAsInt(attempt);
            if (third < 0 || third > 255) continue;
            Ipv4Cidr candidate = new Ipv4Cidr(prefix + "." + third + ".0", 24);
            if (used.stream().noneMatch(u -> u.overlaps(candidate)) && !free.contains(candidate.toString())) {
                free.add(candidate.toString());
            }
        }
        if (free.size() < n) {
            throw new NetException(NetError.SUBNET_CONFLICT, "fewer than " + n + " free " + prefix
                    + ".x.0/24 subnets on this host", "remove the interfaces that use them (ip -4 addr show)");
        }
        return free;
    }
}
