package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * {@link KvStore} on etcd through jetcd. Conditional writes are single transactions comparing the key's CREATE
 * revision with 0 (create-if-absent) or its MOD revision with the expected one; their else-branch reads the key, so
 * a failed condition is told apart from a missing key without a second call. Every call waits at most the store's
 * timeout; calls fail fast while etcd is down (jetcd's wait-for-ready is off), so errors name the real cause.
 */
final class EtcdKvStore implements KvStore {
    private static final ByteSequence ANY_KEY = bytes("/");
    /** The Vert.x switch that {@link #connect} sets, unless the JVM was started with it. */
    static final String VERTX_CP_RESOLVING = "vertx.disableFileCPResolving";

    static {
        // jetcd runs on Vert.x, which by default makes a directory /tmp/vertx-cache-<uuid> per instance, to resolve
        // files from the class path (kiln never asks it to), and removes it only when the JVM exits normally: every
        // kiln process killed with -9 left one behind. With class-path resolving off, Vert.x makes none.
        if (System.getProperty(VERTX_CP_RESOLVING) == null) {
            System.setProperty(VERTX_CP_RESOLVING, "true");
        }
    }

    private final Client client;
    private final KV kv;
    private final Lease leases;
    private final EtcdCalls calls;
    private final ScheduledExecutorService watchThread;
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EtcdKvStore(Client client, EtcdCalls calls) {
        this.client = client;
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.calls = calls;
        this.watchThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("kiln-etcd-watch").factory());
    }

    static EtcdKvStore connect(List<URI> endpoints, Duration timeout, Optional<EtcdTls> tls) {
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(timeout, "timeout");
        if (endpoints.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "no etcd endpoint given", EtcdCalls.HINT);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new ClusterException(ClusterError.INVALID, "the etcd timeout must be positive, got " + timeout);
        }
        Objects.requireNonNull(tls, "tls");
        boolean secure = endpoints.stream().anyMatch(e -> "https".equalsIgnoreCase(e.getScheme()));
        if (secure && tls.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "etcd at " + endpoints + " speaks TLS, and no authority "
                    + "to trust was given", "give --etcd-cacert FILE (and --etcd-cert, --etcd-key if etcd asks for "
                    + "a client certificate)");
        }
        if (!secure && tls.isPresent()) {
            throw new ClusterException(ClusterError.INVALID, "etcd's TLS files were given, but " + endpoints
                    + " are not https:// endpoints", "write the endpoints as https://HOST:PORT");
        }
        var builder = Client.builder()
                .endpoints(endpoints.toArray(URI[]::new))
                .connectTimeout(timeout)
                .waitForReady(false)
                .retryMaxDuration(timeout);
        if (tls.isPresent()) {
            EtcdTls files = tls.get().check();
            try {
                builder.sslContext(files::configure);
            } catch (javax.net.ssl.SSLException e) {
                throw new ClusterException(ClusterError.INVALID, "cannot set up TLS to etcd: " + e.getMessage(), e);
            }
        }
        Client client = builder.build();
        return new EtcdKvStore(client, new EtcdCalls(endpoints, timeout));
    }

    @Override
    public Optional<KeyValue> get(String key) {
        GetResponse response = call(kv.get(bytes(Keys.requireKey(key))));
        return response.getKvs().stream().findFirst().map(EtcdKvStore::keyValue);
    }

    @Override
    public List<KeyValue> list(String prefix) {
        return listWithRevision(prefix).entries();
    }

    @Override
    public Snapshot listWithRevision(String prefix) {
        GetOption option = GetOption.builder().isPrefix(true)
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND).build();
        GetResponse response = call(kv.get(bytes(Keys.requirePrefix(prefix)), option));
        return new Snapshot(response.getKvs().stream().map(EtcdKvStore::keyValue).toList(),
                response.getHeader().getRevision());
    }

    @Override
    public long create(String key, byte[] value) {
        return createWith(key, value, PutOption.DEFAULT);
    }

    @Override
    public long create(String key, byte[] value, long lease) {
        Keys.requireLease(lease);
        try {
            return createWith(key, value, PutOption.builder().withLeaseId(lease).build());
        } catch (ClusterException e) {
            throw e.code() == ClusterError.NOT_FOUND ? leaseNotFound(lease, e) : e;
        }
    }

    private long createWith(String key, byte[] value, PutOption option) {
        ByteSequence k = bytes(Keys.requireKey(key));
        TxnResponse response = call(kv.txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(k, value(value), option))
                .commit());
        if (!response.isSucceeded()) {
            throw new ClusterException(ClusterError.ALREADY_EXISTS, "key " + key + " already exists");
        }
        return response.getHeader().getRevision();
    }

    @Override
    public long update(String key, byte[] value, long expectedModRevision) {
        ByteSequence k = bytes(Keys.requireKey(key));
        ByteSequence v = value(value);
        Keys.requireRevision(expectedModRevision);
        // The put must name the key's lease, or etcd detaches it; the compare makes the lease read here current.
        KeyValue current = get(key).orElseThrow(() -> notFound(key));
        if (current.modRevision() != expectedModRevision) {
            throw conflict(key, current.modRevision(), expectedModRevision);
        }
        PutOption option = current.lease() == 0 ? PutOption.DEFAULT
                : PutOption.builder().withLeaseId(current.lease()).build();
        TxnResponse response = call(kv.txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision)))
                .Then(Op.put(k, v, option))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit());
        if (response.isSucceeded()) {
            return response.getHeader().getRevision();
        }
        throw failedCompare(key, response, expectedModRevision);
    }

    @Override
    public long put(String key, byte[] value) {
        return call(kv.put(bytes(Keys.requireKey(key)), value(value))).getHeader().getRevision();
    }

    @Override
    public boolean delete(String key, long expectedModRevision) {
        ByteSequence k = bytes(Keys.requireKey(key));
        Keys.requireRevision(expectedModRevision);
        TxnResponse response = call(kv.txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision)))
                .Then(Op.delete(k, DeleteOption.DEFAULT))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit());
        if (response.isSucceeded()) {
            return true;
        }
        ClusterException failure = failedCompare(key, response, expectedModRevision);
        if (failure.code() == ClusterError.NOT_FOUND) {
            return false;
        }
        throw failure;
    }

    @Override
    public boolean delete(String key) {
        return call(kv.delete(bytes(Keys.requireKey(key)))).getDeleted() > 0;
    }

    @Override
    public long grantLease(Duration ttl) {
        return call(leases.grant(Keys.ttlSeconds(ttl))).getID();
    }

    @Override
    public void keepAlive(long lease) {
        try {
            call(leases.keepAliveOnce(lease));
        } catch (ClusterException e) {
            throw e.code() == ClusterError.NOT_FOUND ? leaseNotFound(lease, e) : e;
        }
    }

    @Override
    public void revokeLease(long lease) {
        try {
            call(leases.revoke(lease));
        } catch (ClusterException e) {
            if (e.code() != ClusterError.NOT_FOUND) {
                throw e;
            }
        }
    }

    @Override
    public Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent) {
        Keys.requirePrefix(prefix);
        Objects.requireNonNull(onEvent, "onEvent");
        if (fromRevision < 0) {
            throw new ClusterException(ClusterError.INVALID, "a watch revision must not be negative");
        }
        long from = fromRevision == 0 ? revision() + 1 : fromRevision;
        requireOpen();
        EtcdWatch watch = new EtcdWatch(client.getWatchClient(), prefix, from, onEvent, watchThread, watches::remove);
        watches.add(watch);
        watch.start();
        return watch;
    }

    @Override
    public void compact(long revision) {
        Keys.requireRevision(revision);
        try {
            call(kv.compact(revision));
        } catch (ClusterException e) {
            if (e.code() == ClusterError.INVALID && e.getMessage().contains("compacted")) {
                return; // already compacted at or after this revision
            }
            throw e;
        }
    }

    @Override
    public long revision() {
        return call(kv.get(ANY_KEY, GetOption.builder().withCountOnly(true).build())).getHeader().getRevision();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List.copyOf(watches).forEach(EtcdWatch::close);
        watchThread.shutdownNow();
        client.close();
    }

    private <T> T call(java.util.concurrent.CompletableFuture<T> future) {
        requireOpen();
        return calls.await(future);
    }

    private void requireOpen() {
        if (closed) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "the etcd store for " + calls.endpoints()
                    + " is closed");
        }
    }

    /** Why a compare on the mod revision failed: the else-branch read tells a missing key from a changed one. */
    private static ClusterException failedCompare(String key, TxnResponse response, long expected) {
        List<io.etcd.jetcd.KeyValue> found = response.getGetResponses().isEmpty()
                ? List.of() : response.getGetResponses().getFirst().getKvs();
        return found.isEmpty() ? notFound(key) : conflict(key, found.getFirst().getModRevision(), expected);
    }

    private static ClusterException notFound(String key) {
        return new ClusterException(ClusterError.NOT_FOUND, "key " + key + " does not exist");
    }

    private static ClusterException conflict(String key, long actual, long expected) {
        return new ClusterException(ClusterError.CONFLICT, "key " + key + " is at revision " + actual + ", not "
                + expected + ": it changed since it was read", "read it again and retry");
    }

    private static ClusterException leaseNotFound(long lease, ClusterException cause) {
        return new ClusterException(ClusterError.NOT_FOUND,
                "lease " + Keys.hex(lease) + " does not exist (it has ended or was never granted)", cause);
    }

    static KeyValue keyValue(io.etcd.jetcd.KeyValue kv) {
        return new KeyValue(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(),
                kv.getCreateRevision(), kv.getModRevision(), kv.getVersion(), kv.getLease());
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static ByteSequence value(byte[] value) {
        return ByteSequence.from(Objects.requireNonNull(value, "value"));
    }
}
