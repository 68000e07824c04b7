package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/** Argument checks and key order shared by the stores, so both reject and sort the same way. */
final class Keys {
    /** etcd's order: unsigned bytes of the UTF-8 key (differs from String order above U+FFFF). */
    static final Comparator<String> ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private Keys() {
    }

    static String requireKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "a store key must not be empty");
        }
        return key;
    }

    static String requirePrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "a store prefix must not be empty",
                    "kiln's keys start with /kiln/; list or watch a prefix such as /kiln/v1/");
        }
        return prefix;
    }

    static long requireRevision(long revision) {
        if (revision <= 0) {
            throw new ClusterException(ClusterError.INVALID,
                    "a revision must be positive, got " + revision);
        }
        return revision;
    }

    static long requireLease(long lease) {
        if (lease == 0) {
            throw new ClusterException(ClusterError.INVALID, "lease 0 means no lease; grant one with grantLease");
        }
        return lease;
    }

    /** A lease TTL in whole seconds, rounded up, at least 1. */
    static long ttlSeconds(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new ClusterException(ClusterError.INVALID, "a lease TTL must be positive, got " + ttl);
        }
        long seconds = ttl.getSeconds();
        return ttl.getNano() > 0 ? seconds + 1 : seconds;
    }

    static String hex(long lease) {
        return "0x" + Long.toHexString(lease);
    }
}
