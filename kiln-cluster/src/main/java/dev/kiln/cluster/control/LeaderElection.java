package dev.kiln.cluster.control;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.KeyValue;
import dev.kiln.cluster.store.KvStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Which cluster member runs the control plane. Leadership is the key {@link #KEY}, created only if absent and
 * attached to the candidate's lease; the leader refreshes its lease every {@code ttl / 5}. A leader that has not
 * refreshed for {@code ttl / 2} (its store unreachable, its lease gone) steps down at once, before the lease can have
 * ended, so two members never both think they lead for longer than a refresh. A standby tries to take the key every
 * step; it gets it once the old leader's lease ended (within {@code ttl} of the leader's death) or the leader
 * resigned ({@link #close()} revokes the lease, so a clean handover takes one step).
 *
 * <p>{@link #step()} can be driven by hand (tests use the in-memory store and a manual clock); {@link #start()}
 * steps in the background. The {@link Listener} is called from the stepping thread.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /** The key that holds the leader's name while its lease lives. */
    public static final String KEY = "/kiln/leader";

    /** What the election tells its owner. */
    public interface Listener {
        /** This member now leads: start acting. */
        void elected();

        /** This member no longer leads ({@code why}): stop acting at once. */
        void deposed(String why);
    }

    private final KvStore kv;
    private final String me;
    private final Duration ttl;
    private final Clock clock;
    private final Listener listener;
    private long lease;
    private Instant lastRefresh = Instant.MIN;
    private volatile boolean leading;
    private volatile boolean running;
    private Optional<Thread> loop = Optional.empty();

    public LeaderElection(KvStore kv, String me, Duration ttl, Clock clock, Listener listener) {
        if (ttl.toSeconds() < 2) {
            throw new IllegalArgumentException("a leader lease shorter than 2 s is not granted by etcd: " + ttl);
        }
        this.kv = kv;
        this.me = me;
        this.ttl = ttl;
        this.clock = clock;
        this.listener = listener;
    }

    /** The leader's name as the store has it now; empty while nobody leads (or the store cannot be read). */
    public static Optional<String> leader(KvStore kv) {
        try {
            return kv.get(KEY).map(e -> new String(e.value(), StandardCharsets.UTF_8));
        } catch (ClusterException e) {
            return Optional.empty();
        }
    }

    public boolean leading() {
        return leading;
    }

    /** The pause between steps. */
    public Duration every() {
        return ttl.dividedBy(5);
    }

    /** One step: a leader refreshes (or steps down), a standby tries to lead. Returns whether this member leads. */
    public synchronized boolean step() {
        Instant now = clock.instant();
        if (leading) {
            try {
                kv.keepAlive(lease);
                Optional<KeyValue> key = kv.get(KEY);
                if (key.isEmpty() || key.get().lease() != lease) {
                    depose("the leader key was taken away");
                } else {
                    lastRefresh = now;
                }
            } catch (ClusterException e) {
                if (e.code() == ClusterError.NOT_FOUND) {
                    depose("its lease ended");
                } else if (Duration.between(lastRefresh, now).compareTo(ttl.dividedBy(2)) > 0) {
                    depose("the store has not answered for " + Duration.between(lastRefresh, now).toMillis()
                            + " ms: " + e.getMessage());
                }
            }
            return leading;
        }
        try {
            if (kv.get(KEY).isPresent()) {
                return false;
            }
            long candidate = kv.grantLease(ttl);
            try {
                kv.create(KEY, me.getBytes(StandardCharsets.UTF_8), candidate);
            } catch (ClusterException e) {
                revokeQuietly(candidate);
                if (e.code() == ClusterError.ALREADY_EXISTS) {
                    return false;
                }
                throw e;
            }
            lease = candidate;
            lastRefresh = now;
            leading = true;
            LOG.info("{} leads the control plane (lease {})", me, Long.toHexString(lease));
            listener.elected();
        } catch (ClusterException e) {
            LOG.debug("{}: cannot try to lead now: {}", me, e.getMessage());
        }
        return leading;
    }

    private void depose(String why) {
        leading = false;
        LOG.warn("{} no longer leads the control plane: {}", me, why);
        revokeQuietly(lease);
        lease = 0;
        listener.deposed(why);
    }

    private void revokeQuietly(long id) {
        if (id == 0) {
            return;
        }
        try {
            kv.revokeLease(id);
        } catch (ClusterException e) {
            LOG.debug("revoking lease {}: {}", Long.toHexString(id), e.getMessage());
        }
    }

    /** Steps every {@link #every()} in the background until {@link #close()}. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        loop = Optional.of(Thread.ofPlatform().daemon().name("kiln-leader-election").start(() -> {
            while (running) {
                try {
                    step();
                } catch (RuntimeException e) {
                    LOG.error("leader election step failed (retrying)", e);
                }
                try {
                    Thread.sleep(every());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
    }

    /** Stops stepping; a leader resigns (revokes its lease) so that a standby takes over at its next step. */
    @Override
    public void close() {
        synchronized (this) {
            running = false;
        }
        loop.ifPresent(t -> {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        synchronized (this) {
            if (leading) {
                leading = false;
                revokeQuietly(lease);
                lease = 0;
                LOG.info("{} resigned as leader", me);
                listener.deposed("resigned");
            }
        }
    }
}
