package dev.kiln.host.fn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Which hosts a function's invocations go to, best first: rendezvous (highest random weight) hashing, a form of
 * consistent hashing. Each host scores {@code SHA-256(function + "/" + host)} and the highest score is the function's
 * home. Every host computes the same order from the same list of hosts, with no coordination; when a host joins or
 * leaves, only the functions whose home it is (or becomes) move, and each function's order over the other hosts stays.
 */
public final class HomeHosts {
    private HomeHosts() {
    }

    /** {@code hosts} ordered for {@code function}: its home first, then where it falls back to. */
    public static List<String> rank(String function, Collection<String> hosts) {
        return hosts.stream().distinct()
                .sorted(Comparator.comparing((String h) -> score(function, h)).reversed()
                        .thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    static long score(String function, String host) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((function + "/" + host)
                    .getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
