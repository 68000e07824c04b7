package dev.kiln.cluster.store;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The few etcd operations kiln needs: reads, conditional writes keyed on revisions, prefix watches from a revision,
 * and leases. Keys are strings (UTF-8 in etcd), values bytes. Every store revision is a positive number that grows
 * with each write; an entry's {@code modRevision} is the token for optimistic concurrency.
 *
 * <p>Errors are {@link dev.kiln.cluster.ClusterException}s: {@code ALREADY_EXISTS}, {@code CONFLICT},
 * {@code NOT_FOUND} for failed conditions, {@code INVALID} for bad arguments, {@code UNAVAILABLE} when the store
 * cannot be reached or does not answer within its timeout. No call blocks longer than the store's timeout.
 *
 * <p>Implementations: {@link #etcd(List, Duration)} (a real etcd) and {@link #memory(Clock)} (same semantics in
 * memory, for simulations and tests). One conformance suite runs against both.
 */
public interface KvStore extends AutoCloseable {

    /** The default timeout of every call to etcd. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** A store on the etcd cluster at {@code endpoints}; each call fails with UNAVAILABLE after {@code timeout}. */
    static KvStore etcd(List<URI> endpoints, Duration timeout) {
        return EtcdKvStore.connect(endpoints, timeout, java.util.Optional.empty());
    }

    /**
     * A store on the etcd cluster at {@code endpoints} ({@code https://}) over TLS with {@code tls}; each call fails
     * with UNAVAILABLE after {@code timeout}. Without {@code tls}, plain HTTP.
     */
    static KvStore etcd(List<URI> endpoints, Duration timeout, java.util.Optional<EtcdTls> tls) {
        return EtcdKvStore.connect(endpoints, timeout, tls);
    }

    /** A store on the etcd cluster at {@code endpoints}, with {@code tls} if given, and the {@link #DEFAULT_TIMEOUT}. */
    static KvStore etcd(List<URI> endpoints, java.util.Optional<EtcdTls> tls) {
        return etcd(endpoints, DEFAULT_TIMEOUT, tls);
    }

    /** A store on the etcd cluster at {@code endpoints} with the {@link #DEFAULT_TIMEOUT}. */
    static KvStore etcd(List<URI> endpoints) {
        return etcd(endpoints, DEFAULT_TIMEOUT);
    }

    /** An in-memory store whose leases expire against {@code clock}. */
    static MemoryKvStore memory(Clock clock) {
        return new MemoryKvStore(clock);
    }

    /** The entry at {@code key}, if there is one. */
    Optional<KeyValue> get(String key);

    /** The entries whose keys start with {@code prefix}, sorted by key. {@code "/a/"} does not match {@code "/ab"}. */
    List<KeyValue> list(String prefix);

    /** Like {@link #list}, with the store revision at which the entries were read. */
    Snapshot listWithRevision(String prefix);

    /**
     * Creates {@code key} if it is absent.
     *
     * @return the new entry's mod revision
     * @throws dev.kiln.cluster.ClusterException ALREADY_EXISTS when the key exists
     */
    long create(String key, byte[] value);

    /**
     * Creates {@code key} if it is absent, attached to {@code lease}: the key is deleted when the lease ends.
     *
     * @return the new entry's mod revision
     * @throws dev.kiln.cluster.ClusterException ALREADY_EXISTS when the key exists, NOT_FOUND when the lease does not
     */
    long create(String key, byte[] value, long lease);

    /**
     * Replaces the value of {@code key} if its mod revision is still {@code expectedModRevision}. The key keeps its
     * lease.
     *
     * @return the entry's new mod revision
     * @throws dev.kiln.cluster.ClusterException CONFLICT when the key changed since, NOT_FOUND when it is absent
     */
    long update(String key, byte[] value, long expectedModRevision);

    /** Writes {@code key} whatever is there; the key is detached from any lease. Returns the new mod revision. */
    long put(String key, byte[] value);

    /**
     * Deletes {@code key} if its mod revision is still {@code expectedModRevision}.
     *
     * @return true when deleted, false when the key was already absent
     * @throws dev.kiln.cluster.ClusterException CONFLICT when the key changed since
     */
    boolean delete(String key, long expectedModRevision);

    /** Deletes {@code key}; true when there was one. */
    boolean delete(String key);

    /**
     * Grants a lease of {@code ttl}, rounded up to whole seconds. etcd does not grant less than its minimum TTL
     * (about 2 s with default settings) and may end a lease up to about a second late.
     *
     * @return the lease id, never 0
     */
    long grantLease(Duration ttl);

    /**
     * Refreshes {@code lease} once: it ends a full TTL from now unless refreshed again.
     *
     * @throws dev.kiln.cluster.ClusterException NOT_FOUND when the lease has ended or never existed
     */
    void keepAlive(long lease);

    /** Ends {@code lease} now, deleting its keys. Revoking a lease that has already ended does nothing. */
    void revokeLease(long lease);

    /**
     * Watches the keys under {@code prefix}, starting with the changes at {@code fromRevision} (inclusive; 0 means
     * "changes after now"). Events go to {@code onEvent} in revision order on one thread, each exactly once, across
     * reconnects to the store. When the history needed was compacted the watch delivers {@link WatchEvent.Relist}
     * and ends.
     */
    Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent);

    /**
     * Discards the history before {@code revision}: watches from earlier revisions get {@link WatchEvent.Relist}.
     * Compacting at or below an earlier compaction does nothing.
     *
     * @throws dev.kiln.cluster.ClusterException INVALID when {@code revision} is in the future
     */
    void compact(long revision);

    /** The current store revision: the revision of the last write. */
    long revision();

    /** Closes the store and every watch it opened. */
    @Override
    void close();
}
