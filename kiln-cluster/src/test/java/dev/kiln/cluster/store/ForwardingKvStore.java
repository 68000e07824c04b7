package dev.kiln.cluster.store;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** A {@link KvStore} that passes every call to another; tests extend it and override the calls they watch. */
public abstract class ForwardingKvStore implements KvStore {
    private final KvStore delegate;

    protected ForwardingKvStore(KvStore delegate) {
        this.delegate = delegate;
    }

    public KvStore delegate() {
        return delegate;
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
    public Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent) {
        return delegate.watch(prefix, fromRevision, onEvent);
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
