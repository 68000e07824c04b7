package dev.kiln.cluster.control;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.cluster.store.Watch;
import dev.kiln.cluster.store.WatchEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The control loop: each pass reads the cluster from the store, lets every controller plan from that one view, and
 * applies the plans through the {@link Applier}. A pass runs when something changed (a watch on the store wakes the
 * loop) and at least every {@code resync}. Reads are fresh each pass, so a pass always sees its predecessor's
 * writes; the loop keeps no state of its own, and a restarted control plane simply carries on. {@link #pass()} can be
 * called by hand (tests step it with their own clock).
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

    private final ResourceStore store;
    private final Clock clock;
    private final ControlConfig config;
    private final Applier applier;
    private final Semaphore wake = new Semaphore(0);
    private final Instant since;
    private volatile boolean running;
    private Optional<Thread> loop = Optional.empty();
    private Optional<Watch> watch = Optional.empty();

    public ControlPlane(ResourceStore store, Clock clock, ControlConfig config) {
        this(store, clock, config, randomSuffix(new SecureRandom()));
    }

    public ControlPlane(ResourceStore store, Clock clock, ControlConfig config, Supplier<String> suffix) {
        this.store = store;
        this.clock = clock;
        this.config = config;
        this.applier = new Applier(store, suffix);
        this.since = clock.instant();
    }

    static Supplier<String> randomSuffix(java.util.Random random) {
        return () -> {
            StringBuilder s = new StringBuilder(5);
            for (int i = 0; i < 5; i++) {
                s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            return s.toString();
        };
    }

    /** The cluster as the store has it now. */
    public ClusterView read() {
        return new ClusterView(store.list(Host.class), store.list(NodePool.class), store.list(Node.class),
                store.list(Pod.class), store.list(Deployment.class));
    }

    /** Every controller's plan for {@code view} at {@code now}, in the order they are applied. Changes nothing. */
    public static List<Action> plan(ClusterView view, Instant now, ControlConfig config) {
        return plan(view, now, config, Instant.MIN);
    }

    /** The plan of a control plane that has been watching since {@code since} (see {@link NodeHealth}). */
    public static List<Action> plan(ClusterView view, Instant now, ControlConfig config, Instant since) {
        List<Action> actions = new ArrayList<>(NodeHealth.plan(view, now, config, since));
        actions.addAll(NodePoolController.plan(view));
        actions.addAll(DeploymentController.plan(view));
        actions.addAll(Scheduling.plan(view));
        return actions;
    }

    /** One pass: read, plan, apply. Returns what was applied. */
    public Applier.Result pass() {
        List<Action> actions = plan(read(), clock.instant(), config, since);
        return applier.apply(actions, config.actionBudget());
    }

    /** Runs passes in the background until {@link #close()}. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        watch = Optional.of(store.kv().watch(ResourceStore.PREFIX, 0, this::changed));
        loop = Optional.of(Thread.ofPlatform().daemon().name("kiln-control-plane").start(this::run));
    }

    private void changed(WatchEvent event) {
        String key = switch (event) {
            case WatchEvent.Put p -> p.key();
            case WatchEvent.Delete d -> d.key();
            case WatchEvent.Relist r -> "";
        };
        if (!key.startsWith(ResourceStore.prefix(dev.kiln.cluster.model.Kind.EVENT))) {
            wake.release();
        }
    }

    private void run() {
        while (running) {
            try {
                Applier.Result r = pass();
                if (r.applied() > 0 || r.skipped() > 0) {
                    LOG.debug("pass: {} applied, {} conflicts, {} over budget", r.applied(), r.conflicts(),
                            r.skipped());
                }
                boolean more = r.skipped() > 0 || r.conflicts() > 0;
                if (!more && wake.tryAcquire(config.resync().toMillis(), TimeUnit.MILLISECONDS)) {
                    Thread.sleep(20); // let a burst of changes arrive before the next pass reads them
                }
                wake.drainPermits();
            } catch (ClusterException e) {
                LOG.warn("control plane pass failed (retrying in {} ms): {}", config.resync().toMillis(),
                        e.getMessage());
                pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("control plane pass failed (retrying)", e);
                pause();
            }
        }
    }

    private void pause() {
        try {
            wake.tryAcquire(config.resync().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        watch.ifPresent(Watch::close);
        loop.ifPresent(t -> {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop = Optional.empty();
        watch = Optional.empty();
    }
}
