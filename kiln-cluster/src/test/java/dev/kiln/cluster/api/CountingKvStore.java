package dev.kiln.cluster.api;

import dev.kiln.cluster.store.ForwardingKvStore;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.Watch;
import dev.kiln.cluster.store.WatchEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link KvStore} that passes every call through and remembers the watches it opened, so a test can see whether
 * the API server closed them (it asks the real watches, not a counter the server keeps).
 */
final class CountingKvStore extends ForwardingKvStore {
    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    CountingKvStore(KvStore delegate) {
        super(delegate);
    }

    /** Watches opened and not closed yet. */
    long openWatches() {
        return watches.stream().filter(w -> !w.isClosed()).count();
    }

    /** Watches opened in all. */
    int watchesOpened() {
        return watches.size();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent) {
        Watch w = super.watch(prefix, fromRevision, onEvent);
        watches.add(w);
        return w;
    }
}
