package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@link KvStore} in memory, with etcd's semantics: one global revision counter (starting at 1, like a fresh etcd),
 * conditional writes on mod revisions, a history for watches from past revisions, compaction, and leases.
 *
 * <p>Time comes only from the injected {@link Clock}: a lease ends when {@link #tick()} or any other call sees the
 * clock at or past its deadline. Watch events are delivered in revision order on one thread per store;
 * {@link #drainWatches()} waits until the events so far have been delivered. The history keeps at most
 * {@value #HISTORY_LIMIT} changes; older ones are compacted away, as etcd's auto-compaction would.
 */
public final class MemoryKvStore implements KvStore {
    static final int HISTORY_LIMIT = 100_000;

    private final Clock clock;
    private final ExecutorService delivery;
    private final NavigableMap<String, KeyValue> data = new TreeMap<>(Keys.ORDER);
    private final List<Change> history = new ArrayList<>();
    private final Map<Long, Lease> leases = new TreeMap<>();
    private final List<MemoryWatch> watches = new ArrayList<>();
    private long revision = 1;
    private long compacted;
    private long nextLease = 1;
    private boolean closed;

    private record Change(long revision, String key, WatchEvent event) {
    }

    private static final class Lease {
        final long id;
        final Duration ttl;
        final Set<String> keys = new TreeSet<>(Keys.ORDER);
        Instant deadline;

        Lease(long id, Duration ttl, Instant deadline) {
            this.id = id;
            this.ttl = ttl;
            this.deadline = deadline;
        }
    }

    MemoryKvStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.delivery = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("kiln-memory-kv-watch").factory());
    }

    /** Ends the leases whose deadline has passed on the clock, deleting their keys. */
    public synchronized void tick() {
        open();
    }

    /** Waits (at most 5 s) until every watch event produced so far has been handed to its consumer. */
    public void drainWatches() {
        try {
            delivery.submit(() -> { }).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterError.INTERNAL, "interrupted while draining watches", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new ClusterException(ClusterError.INTERNAL, "watch delivery did not drain within 5 s", e);
        }
    }

    @Override
    public synchronized Optional<KeyValue> get(String key) {
        Keys.requireKey(key);
        open();
        return Optional.ofNullable(data.get(key));
    }

    @Override
    public List<KeyValue> list(String prefix) {
        return listWithRevision(prefix).entries();
    }

    @Override
    public synchronized Snapshot listWithRevision(String prefix) {
        Keys.requirePrefix(prefix);
        open();
        List<KeyValue> entries = new ArrayList<>();
        for (KeyValue kv : data.tailMap(prefix, true).values()) {
            if (!kv.key().startsWith(prefix)) {
                break;
            }
            entries.add(kv);
        }
        return new Snapshot(entries, revision);
    }

    @Override
    public long create(String key, byte[] value) {
        return createWithLease(key, value, 0);
    }

    @Override
    public long create(String key, byte[] value, long lease) {
        return createWithLease(key, value, Keys.requireLease(lease));
    }

    private synchronized long createWithLease(String key, byte[] value, long lease) {
        Keys.requireKey(key);
        Objects.requireNonNull(value, "value");
        open();
        if (data.containsKey(key)) {
            throw new ClusterException(ClusterError.ALREADY_EXISTS, "key " + key + " already exists");
        }
        if (lease != 0 && !leases.containsKey(lease)) {
            throw new ClusterException(ClusterError.NOT_FOUND,
                    "lease " + Keys.hex(lease) + " does not exist (it has ended or was never granted)");
        }
        long rev = ++revision;
        write(new KeyValue(key, value, rev, rev, 1, lease));
        return rev;
    }

    @Override
    public synchronized long update(String key, byte[] value, long expectedModRevision) {
        Keys.requireKey(key);
        Keys.requireRevision(expectedModRevision);
        Objects.requireNonNull(value, "value");
        open();
        KeyValue current = data.get(key);
        if (current == null) {
            throw new ClusterException(ClusterError.NOT_FOUND, "key " + key + " does not exist");
        }
        requireUnchanged(current, expectedModRevision);
        long rev = ++revision;
        write(new KeyValue(key, value, current.createRevision(), rev, current.version() + 1, current.lease()));
        return rev;
    }

    @Override
    public synchronized long put(String key, byte[] value) {
        Keys.requireKey(key);
        Objects.requireNonNull(value, "value");
        open();
        KeyValue current = data.get(key);
        long rev = ++revision;
        if (current == null) {
            write(new KeyValue(key, value, rev, rev, 1, 0));
        } else {
            detach(current);
            write(new KeyValue(key, value, current.createRevision(), rev, current.version() + 1, 0));
        }
        return rev;
    }

    @Override
    public synchronized boolean delete(String key, long expectedModRevision) {
        Keys.requireKey(key);
        Keys.requireRevision(expectedModRevision);
        open();
        KeyValue current = data.get(key);
        if (current == null) {
            return false;
        }
        requireUnchanged(current, expectedModRevision);
        remove(current, ++revision);
        return true;
    }

    @Override
    public synchronized boolean delete(String key) {
        Keys.requireKey(key);
        open();
        KeyValue current = data.get(key);
        if (current == null) {
            return false;
        }
        remove(current, ++revision);
        return true;
    }

    @Override
    public synchronized long grantLease(Duration ttl) {
        Duration whole = Duration.ofSeconds(Keys.ttlSeconds(ttl));
        open();
        long id = nextLease++;
        leases.put(id, new Lease(id, whole, clock.instant().plus(whole)));
        return id;
    }

    @Override
    public synchronized void keepAlive(long lease) {
        open();
        Lease found = leases.get(lease);
        if (found == null) {
            throw new ClusterException(ClusterError.NOT_FOUND,
                    "lease " + Keys.hex(lease) + " does not exist (it has ended or was never granted)");
        }
        found.deadline = clock.instant().plus(found.ttl);
    }

    @Override
    public synchronized void revokeLease(long lease) {
        open();
        Lease found = leases.get(lease);
        if (found != null) {
            end(found);
        }
    }

    @Override
    public synchronized Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent) {
        Keys.requirePrefix(prefix);
        Objects.requireNonNull(onEvent, "onEvent");
        if (fromRevision < 0) {
            throw new ClusterException(ClusterError.INVALID, "a watch revision must not be negative");
        }
        open();
        long from = fromRevision == 0 ? revision + 1 : fromRevision;
        MemoryWatch watch = new MemoryWatch(prefix, from, onEvent, delivery);
        if (from < compacted) {
            watch.enqueue(new WatchEvent.Relist("revision " + from + " has been compacted (the history starts at "
                    + compacted + ")"));
            return watch;
        }
        for (Change change : history) {
            if (watch.wants(change.key(), change.revision())) {
                watch.enqueue(change.event());
            }
        }
        watches.add(watch);
        return watch;
    }

    @Override
    public synchronized void compact(long revision) {
        Keys.requireRevision(revision);
        open();
        if (revision > this.revision) {
            throw new ClusterException(ClusterError.INVALID,
                    "cannot compact at revision " + revision + ": the store is at revision " + this.revision);
        }
        if (revision > compacted) {
            compacted = revision;
            history.removeIf(change -> change.revision() < revision);
        }
    }

    @Override
    public synchronized long revision() {
        open();
        return revision;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            watches.forEach(MemoryWatch::close);
            watches.clear();
        }
        delivery.shutdown();
    }

    /** Checks the store is open and ends the leases that are due; every call starts here. */
    private void open() {
        if (closed) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "the in-memory store is closed");
        }
        Instant now = clock.instant();
        for (Lease lease : List.copyOf(leases.values())) {
            if (!now.isBefore(lease.deadline)) {
                end(lease);
            }
        }
    }

    private static void requireUnchanged(KeyValue current, long expected) {
        if (current.modRevision() != expected) {
            throw new ClusterException(ClusterError.CONFLICT, "key " + current.key() + " is at revision "
                    + current.modRevision() + ", not " + expected + ": it changed since it was read",
                    "read it again and retry");
        }
    }

    /** Ends a lease: its keys go in one revision, as etcd deletes them in one transaction. */
    private void end(Lease lease) {
        leases.remove(lease.id);
        if (lease.keys.isEmpty()) {
            return;
        }
        long rev = ++revision;
        for (String key : List.copyOf(lease.keys)) {
            remove(data.get(key), rev);
        }
    }

    private void write(KeyValue kv) {
        data.put(kv.key(), kv);
        if (kv.lease() != 0) {
            leases.get(kv.lease()).keys.add(kv.key());
        }
        record(kv.key(), new WatchEvent.Put(kv), kv.modRevision());
    }

    private void remove(KeyValue kv, long rev) {
        data.remove(kv.key());
        detach(kv);
        record(kv.key(), new WatchEvent.Delete(kv.key(), rev, Optional.of(kv)), rev);
    }

    private void detach(KeyValue kv) {
        Lease lease = leases.get(kv.lease());
        if (lease != null) {
            lease.keys.remove(kv.key());
        }
    }

    private void record(String key, WatchEvent event, long rev) {
        history.add(new Change(rev, key, event));
        if (history.size() > HISTORY_LIMIT) {
            compacted = history.get(HISTORY_LIMIT / 2).revision();
            history.removeIf(change -> change.revision() < compacted);
        }
        watches.removeIf(Watch::isClosed);
        for (MemoryWatch watch : watches) {
            if (watch.wants(key, rev)) {
                watch.enqueue(event);
            }
        }
    }
}
