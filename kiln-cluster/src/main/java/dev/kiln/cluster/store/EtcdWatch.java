package dev.kiln.cluster.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prefix watch on etcd that survives etcd restarts and lost connections.
 *
 * <p>jetcd resumes a broken watch by itself, but from a revision it may have advanced past events it has not yet
 * delivered (it takes the header revision of the "created" response), and it reports every transient error to the
 * listener. So this class owns resumption: it remembers the revision after the last event it delivered, and when the
 * stream fails it closes jetcd's watcher and opens a new one from that revision, with a growing delay while etcd is
 * down. etcd's progress notifications (every few minutes on an idle watch) move that revision forward too, so an
 * idle watch does not fall behind a compaction. A compacted start revision ends the watch with
 * {@link WatchEvent.Relist}.
 *
 * <p>Each jetcd watcher gets a generation number; callbacks from an older generation are ignored. jetcd is never
 * called with this object's lock held, and all jetcd calls and deliveries run on the store's watch thread.
 */
final class EtcdWatch implements Watch {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(1);
    private static final Set<Status.Code> TRANSIENT = Set.of(Status.Code.UNAVAILABLE, Status.Code.INTERNAL,
            Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED, Status.Code.UNKNOWN);

    private final io.etcd.jetcd.Watch client;
    private final String prefix;
    private final Consumer<WatchEvent> onEvent;
    private final ScheduledExecutorService thread;
    private final Consumer<EtcdWatch> onClose;
    private long nextRevision;
    private int generation;
    private int failures;
    private io.etcd.jetcd.Watch.Watcher current;
    private volatile boolean closed;

    EtcdWatch(io.etcd.jetcd.Watch client, String prefix, long fromRevision, Consumer<WatchEvent> onEvent,
              ScheduledExecutorService thread, Consumer<EtcdWatch> onClose) {
        this.client = client;
        this.prefix = prefix;
        this.nextRevision = fromRevision;
        this.onEvent = onEvent;
        this.thread = thread;
        this.onClose = onClose;
    }

    /** Opens the first jetcd watcher. */
    void start() {
        connect();
    }

    private void connect() {
        int gen;
        long from;
        synchronized (this) {
            if (closed) {
                return;
            }
            gen = ++generation;
            from = nextRevision;
        }
        WatchOption option = WatchOption.builder().isPrefix(true).withPrevKV(true).withProgressNotify(true)
                .withRevision(from).build();
        io.etcd.jetcd.Watch.Watcher watcher;
        try {
            watcher = client.watch(ByteSequence.from(prefix, StandardCharsets.UTF_8), option,
                    io.etcd.jetcd.Watch.listener(r -> onNext(gen, r), t -> onError(gen, t), () -> onCompleted(gen)));
        } catch (RuntimeException e) {
            onError(gen, e);
            return;
        }
        boolean stale;
        synchronized (this) {
            stale = closed || gen != generation;
            if (!stale) {
                current = watcher;
            }
        }
        if (stale) {
            watcher.close();
        }
    }

    private synchronized void onNext(int gen, WatchResponse response) {
        if (closed || gen != generation) {
            return;
        }
        failures = 0;
        if (response.isProgressNotify()) {
            // etcd sends progress only to a watcher that has been sent everything up to the header revision
            nextRevision = Math.max(nextRevision, response.getHeader().getRevision() + 1);
            return;
        }
        long next = nextRevision;
        for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
            long rev = e.getKeyValue().getModRevision();
            if (rev < nextRevision) {
                continue; // delivered before a reconnect
            }
            WatchEvent event = convert(e);
            if (event != null) {
                submit(() -> deliver(event, false));
            }
            next = Math.max(next, rev + 1);
        }
        nextRevision = next;
    }

    private void onError(int gen, Throwable t) {
        io.etcd.jetcd.Watch.Watcher broken;
        synchronized (this) {
            if (closed || gen != generation) {
                return;
            }
            generation++;
            broken = current;
            current = null;
            if (isTransient(t)) {
                failures++;
                long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(failures - 1, 10));
                LOG.debug("etcd watch on {} broke ({}); resuming from revision {} in {} ms", prefix, t.getMessage(),
                        nextRevision, delay);
                schedule(this::connect, delay);
            } else {
                closed = true;
                String reason = t instanceof CompactedException c
                        ? "revision " + nextRevision + " has been compacted (etcd keeps history from revision "
                        + c.getCompactedRevision() + ")"
                        : "etcd ended the watch: " + t.getMessage();
                LOG.info("etcd watch on {} ended: {}", prefix, reason);
                submit(() -> deliver(new WatchEvent.Relist(reason), true));
                onClose.accept(this);
            }
        }
        if (broken != null) {
            submit(broken::close);
        }
    }

    private void onCompleted(int gen) {
        boolean ours;
        synchronized (this) {
            ours = !closed && gen == generation;
        }
        if (ours) {
            onError(gen, Status.UNAVAILABLE.withDescription("etcd closed the watch stream").asRuntimeException());
        }
    }

    private static boolean isTransient(Throwable t) {
        if (t instanceof CompactedException) {
            return false;
        }
        Status.Code code = t instanceof EtcdException e
                ? Status.Code.valueOf(e.getErrorCode().name())
                : Status.fromThrowable(t).getCode();
        return TRANSIENT.contains(code);
    }

    private static WatchEvent convert(io.etcd.jetcd.watch.WatchEvent e) {
        return switch (e.getEventType()) {
            case PUT -> new WatchEvent.Put(EtcdKvStore.keyValue(e.getKeyValue()));
            case DELETE -> new WatchEvent.Delete(
                    e.getKeyValue().getKey().toString(StandardCharsets.UTF_8),
                    e.getKeyValue().getModRevision(),
                    e.getPrevKV() == null || e.getPrevKV().getKey().isEmpty()
                            ? Optional.empty()
                            : Optional.of(EtcdKvStore.keyValue(e.getPrevKV())));
            case UNRECOGNIZED -> null;
        };
    }

    private void deliver(WatchEvent event, boolean last) {
        if (closed && !last) {
            return;
        }
        try {
            onEvent.accept(event);
        } catch (RuntimeException e) {
            LOG.warn("watch consumer for {} failed on {}", prefix, event, e);
        }
    }

    private void submit(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("etcd watch thread is shut down; dropping a task for {}", prefix);
        }
    }

    private void schedule(Runnable task, long delayMillis) {
        try {
            thread.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("etcd watch thread is shut down; not resuming {}", prefix);
        }
    }

    @Override
    public void close() {
        io.etcd.jetcd.Watch.Watcher open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            generation++;
            open = current;
            current = null;
        }
        if (open != null) {
            open.close();
        }
        onClose.accept(this);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    /** For tests and logs: the revision the watch would resume from. */
    synchronized long nextRevision() {
        return nextRevision;
    }

    @Override
    public String toString() {
        return "EtcdWatch[" + prefix + " from " + nextRevision() + "]";
    }
}
