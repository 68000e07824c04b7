package dev.kiln.cluster.api;

import dev.kiln.cluster.store.KeyValue;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.Snapshot;
import dev.kiln.cluster.store.Watch;
import dev.kiln.cluster.store.WatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link KvStore} that passes every call through and remembers the watches it opened, so a test can see whether
 * the API server closed them (it asks the real watches, not a counter the server keeps).
 */
final class CountingKvStore implements KvStore {
    private final KvStore delegate;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    CountingKvStore(KvStore delegate) {
        this.delegate = delegate;
    }

    /** Watches opened and not closed yet. */
    long openWatches() {
        return watches.stream().filter(w -> !w.isClosed()).count();
    }

    /** Watches opened in all. */
    int watchesOpened() {
        return watches.size();
    }

    KvStore delegate() {
        return delegate;
    }

    @Override
    public Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent) {
        Watch w = delegate.watch(prefix, fromRevision, onEvent);
        watches.add(w);
        return w;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        return delegate.get(key);
    }

    @Override
    public List<KeyValue> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public Snapshot listWithRevision(String prefix) {
        return delegate.listWithRevision(prefix);
    }

    @Override
    public long create(String key, byte[] value) {
        return delegate.create(key, value);
    }

    @Override
    public long create(String key, byte[] value, long lease) {
        return delegate.create(key, value, lease);
    }

    @Override
    public long update(String key, byte[] value, long expectedModRevision) {
        return delegate.update(key, value, expectedModRevision);
    }

    @Override
    public long put(String key, byte[] value) {
        return delegate.put(key, value);
    }

    @Override
    public boolean delete(String key, long expectedModRevision) {
        return delegate.delete(key, expectedModRevision);
    }

    @Override
    public boolean delete(String key) {
        return delegate.delete(key);
    }

    @Override
    public long grantLease(Duration ttl) {
        return delegate.grantLease(ttl);
    }

    @Override
    public void keepAlive(long lease) {
        delegate.keepAlive(lease);
    }

    @Override
    public void revokeLease(long lease) {
        delegate.revokeLease(lease);
    }

    @Override
    public void compact(long revision) {
        delegate.compact(revision);
    }

    @Override
    public long revision() {
        return delegate.revision();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
