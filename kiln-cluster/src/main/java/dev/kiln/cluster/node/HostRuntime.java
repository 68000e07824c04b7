package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.control.Action;
import dev.kiln.cluster.control.Applier;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.ResourceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One host's part of the cluster (what Kubernetes calls the kubelet, for microVM nodes): it registers the host and
 * heartbeats for it, and each pass plans with {@link HostPlan} from the store and its {@link NodeBackend}'s
 * observation, then carries the plan out: store writes through the {@link Applier}, VM and pod work through the
 * backend. {@link #pass()} can be stepped by hand; {@link #start()} runs passes every {@code every}.
 */
public final class HostRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostRuntime.class);

    private final String host;
    private final ResourceStore store;
    private final NodeBackend backend;
    private final Clock clock;
    private final Duration every;
    private final Applier applier;
    private final SubnetClaim claim;
    private final Duration fenceAfter;
    private final java.util.function.BooleanSupplier othersGoOn;
    private volatile boolean heldBack;
    private volatile boolean running;
    private volatile Instant lastHeartbeat;
    private volatile boolean fenced;
    private volatile boolean closed;
    private Optional<Thread> loop = Optional.empty();
    private final List<PassListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Told after each pass what it planned from, so other per-host work follows the same view of the store. */
    @FunctionalInterface
    public interface PassListener {
        /** The nodes and pods as the pass read them from the store (before its own writes). */
        void passed(List<Node> nodes, List<Pod> pods);
    }

    /** A runtime that fences itself after {@link #DEFAULT_FENCE_AFTER} without a heartbeat. */
    public HostRuntime(String host, ResourceStore store, NodeBackend backend, Clock clock, Duration every) {
        this(host, store, backend, clock, every, DEFAULT_FENCE_AFTER);
    }

    /**
     * How long a host may fail to heartbeat before it fences itself: 20 s, well before the control plane's 30 s
     * after which the host is Lost and its pods placed elsewhere (see {@code ControlConfig.hostLostAfter}).
     */
    public static final Duration DEFAULT_FENCE_AFTER = Duration.ofSeconds(20);

    /**
     * @param fenceAfter when this long passes without a successful heartbeat, the host removes its node VMs (and
     *                   so their pods) before the control plane runs them elsewhere; must be shorter than the
     *                   control plane's host-lost grace period
     */
    public HostRuntime(String host, ResourceStore store, NodeBackend backend, Clock clock, Duration every,
                       Duration fenceAfter) {
        this(host, store, backend, clock, every, fenceAfter, () -> true);
    }

    /**
     * @param othersGoOn asked before fencing: whether the rest of the cluster may run this host's pods elsewhere
     *                   (another host reaches the store, or none can be asked). When it says no, the store is
     *                   down for everyone, nobody can declare this host Lost, and its pods keep running.
     */
    public HostRuntime(String host, ResourceStore store, NodeBackend backend, Clock clock, Duration every,
                       Duration fenceAfter, java.util.function.BooleanSupplier othersGoOn) {
        this.othersGoOn = othersGoOn;
        this.fenceAfter = fenceAfter;
        this.lastHeartbeat = clock.instant();
        this.host = host;
        this.store = store;
        this.backend = backend;
        this.clock = clock;
        this.every = every;
        this.claim = new SubnetClaim(host, store, backend);
        this.applier = new Applier(store, () -> {
            throw new IllegalStateException("the host runtime creates nothing by generated name");
        });
        backend.onVmEnded(this::vmEnded);
    }

    public String host() {
        return host;
    }

    /**
     * Registers this host as it starts: like {@link #heartbeat()}, but its subnet is checked first and again after
     * the write ({@link SubnetClaim}). A conflict (the subnet overlaps another registered host's, or lies outside the
     * cluster CIDR, or the cluster CIDR differs from another registered host's) throws SUBNET_CONFLICT and leaves the
     * store as it was: nothing is written when the first check fails, and when the second one finds that another host
     * with an overlapping subnet or another cluster CIDR registered first, this host's registration is withdrawn
     * before the error is thrown.
     *
     * @throws ClusterException SUBNET_CONFLICT naming the other host and both subnets, with what to do in its hint
     */
    public Host register() {
        Optional<Host> previous = claim.check();
        Host written = write(List.of());
        claim.confirm(previous, written);
        return written;
    }

    /**
     * Registers this host (or refreshes its registration) and marks it Ready with a heartbeat. A subnet that
     * overlaps another registered host's is reported (log, Warning Event, the Host's status message), not refused:
     * see {@link SubnetClaim}.
     */
    public Host heartbeat() {
        List<SubnetCheck.Conflict> conflicts = claim.conflicts();
        Host written = write(conflicts);
        claim.report(written, conflicts);
        return written;
    }

    private Host write(List<SubnetCheck.Conflict> conflicts) {
        Instant now = clock.instant();
        HostSpec spec = new HostSpec(backend.address(), backend.capacity(), backend.subnet(), backend.clusterCidr(),
                backend.apiPort(), backend.guestImage());
        Optional<String> message = conflicts.isEmpty() ? Optional.empty() : Optional.of(conflicts.stream()
                .map(SubnetCheck.Conflict::message).collect(java.util.stream.Collectors.joining("; ")));
        Optional<Host> current = store.get(Host.class, host);
        if (current.isEmpty()) {
            Host h = Host.of(ObjectMeta.named(host).withLabels(backend.labels()), spec)
                    .withStatus(new HostStatus(HostPhase.READY, Optional.of(now), Resources.ZERO, message,
                            Optional.empty()));
            try {
                Host created = store.create(h);
                lastHeartbeat = now;
                return created;
            } catch (ClusterException e) {
                if (e.code() != ClusterError.ALREADY_EXISTS) {
                    throw e;
                }
                current = store.get(Host.class, host);
            }
        }
        Host h = current.orElseThrow();
        Resources allocated = store.list(Node.class).stream().filter(n -> n.spec().host().equals(Optional.of(host)))
                .map(n -> n.spec().profile().resources()).reduce(Resources.ZERO, Resources::plus);
        Host next = h.withMetadata(h.metadata().withLabels(backend.labels())).withSpec(spec)
                .withStatus(new HostStatus(HostPhase.READY, Optional.of(now), allocated, message,
                        h.status().leaseId()));
        Host written = store.update(next);
        lastHeartbeat = now;
        if (fenced) {
            LOG.info("host {}: reaches the store again after fencing itself", host);
            fenced = false;
        }
        return written;
    }

    /** One pass: heartbeat, observe, plan, act. Returns the actions taken. */
    public List<HostAction> pass() {
        heartbeat();
        return pass(store.list(Node.class), store.list(Pod.class));
    }

    /**
     * After a failed pass: when no heartbeat got through for {@code fenceAfter}, removes every node VM on this host
     * (once per outage). Returns whether it fenced now.
     */
    public boolean fenceIfCutOff() {
        Duration silent = Duration.between(lastHeartbeat, clock.instant());
        if (fenced || silent.compareTo(fenceAfter) < 0) {
            return false;
        }
        if (!othersGoOn.getAsBoolean()) {
            if (!heldBack) {
                LOG.warn("host {}: no heartbeat got through for {} s, but no other host reaches the store either; "
                        + "its pods keep running (nobody can move them)", host, silent.toSeconds());
                heldBack = true;
            }
            return false;
        }
        heldBack = false;
        LOG.warn("host {}: no heartbeat got through for {} s; removing its node VMs and pods before the cluster "
                + "runs them elsewhere", host, silent.toSeconds());
        fenced = true;
        backend.fence();
        return true;
    }

    /** Whether the host fenced itself and has not reached the store since. */
    public boolean fenced() {
        return fenced;
    }

    /** A pass from nodes and pods read by the caller (a simulation reads once for all its hosts). */
    public List<HostAction> pass(List<Node> nodes, List<Pod> pods) {
        Observed seen = backend.observe();
        List<HostAction> actions = HostPlan.plan(host, nodes, pods, seen, clock.instant(), every);
        List<Action> writes = new ArrayList<>();
        for (HostAction a : actions) {
            switch (a) {
                case HostAction.Write w -> writes.add(w.action());
                case HostAction.StartVm s -> backend.startVm(s.node());
                case HostAction.RemoveVm r -> backend.removeVm(r.node());
                case HostAction.StartPod s -> backend.startPod(s.node(), s.pod());
                case HostAction.RemovePod r -> backend.removePod(r.node(), r.pod());
            }
            if (!(a instanceof HostAction.Write)) {
                LOG.info("{}: {}", host, a.describe());
            }
        }
        applier.apply(writes, Integer.MAX_VALUE);
        for (PassListener l : listeners) {
            try {
                l.passed(nodes, pods);
            } catch (RuntimeException e) {
                LOG.warn("host {}: after the pass, {} failed", host, l, e);
            }
        }
        return actions;
    }

    /**
     * The backend reports that the VM of {@code node} ended (its VMM exited): the node is marked Lost now, not at
     * the next pass, which may be a second or a slow agent's probe away. The write is conditional on the version
     * read here, like every other; a pass that planned from an older version loses its write and plans again.
     * Returns the actions taken (none once closed, for nodes of other hosts, and for nodes already Lost or gone).
     */
    public List<HostAction> vmEnded(String node, String why) {
        if (closed) {
            return List.of();
        }
        try {
            // a pass may write the node (a heartbeat) between our read and our write: read again, a few times
            for (int attempt = 0; attempt < 3; attempt++) {
                List<HostAction> actions = HostPlan.vmEnded(host, store.get(Node.class, node), why);
                if (actions.isEmpty()) {
                    return actions;
                }
                List<Action> writes = actions.stream().map(a -> ((HostAction.Write) a).action()).toList();
                List<Action> events = writes.stream().filter(w -> w instanceof Action.Emit).toList();
                List<Action> updates = writes.stream().filter(w -> !(w instanceof Action.Emit)).toList();
                if (applier.apply(updates, Integer.MAX_VALUE).conflicts() == 0) {
                    applier.apply(events, Integer.MAX_VALUE); // once, only for the write that counted
                    LOG.info("{}: node {} is Lost at once: its microVM ended: {}", host, node, why);
                    return actions;
                }
            }
            return List.of();
        } catch (ClusterException e) {
            LOG.warn("host {}: cannot mark node {} Lost now (its next pass will): {}", host, node, e.getMessage());
            return List.of();
        }
    }

    /** Adds a listener told after every pass (see {@link PassListener}). */
    public void onEachPass(PassListener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        loop = Optional.of(Thread.ofPlatform().daemon().name("kiln-host-runtime").start(() -> {
            while (running) {
                try {
                    pass();
                } catch (ClusterException e) {
                    LOG.warn("host {}: pass failed (retrying): {}", host, e.getMessage());
                    fenceIfCutOff();
                } catch (RuntimeException e) {
                    LOG.error("host {}: pass failed (retrying)", host, e);
                    fenceIfCutOff();
                }
                try {
                    Thread.sleep(every);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
    }

    @Override
    public synchronized void close() {
        closed = true;
        running = false;
        loop.ifPresent(t -> {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop = Optional.empty();
    }
}
