package dev.kiln.cluster.store;

import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A watch of {@link MemoryKvStore}: events are handed to one delivery thread, in the order the store made them. */
final class MemoryWatch implements Watch {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryWatch.class);

    private final String prefix;
    private final long fromRevision;
    private final Consumer<WatchEvent> onEvent;
    private final Executor delivery;
    private volatile boolean closed;

    MemoryWatch(String prefix, long fromRevision, Consumer<WatchEvent> onEvent, Executor delivery) {
        this.prefix = prefix;
        this.fromRevision = fromRevision;
        this.onEvent = onEvent;
        this.delivery = delivery;
    }

    /** True when a change of {@code key} at {@code revision} is for this watch. */
    boolean wants(String key, long revision) {
        return revision >= fromRevision && key.startsWith(prefix);
    }

    /** Queues {@code event}; called with the store's lock held, so queue order is revision order. */
    void enqueue(WatchEvent event) {
        if (closed) {
            return;
        }
        if (event instanceof WatchEvent.Relist) {
            closed = true;
            delivery.execute(() -> deliver(event));
        } else {
            delivery.execute(() -> {
                if (!closed) {
                    deliver(event);
                }
            });
        }
    }

    private void deliver(WatchEvent event) {
        try {
            onEvent.accept(event);
        } catch (RuntimeException e) {
            LOG.warn("watch consumer for {} failed on {}", prefix, event, e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }
}
