package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
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
    private volatile boolean running;
    private Optional<Thread> loop = Optional.empty();

    public HostRuntime(String host, ResourceStore store, NodeBackend backend, Clock clock, Duration every) {
        this.host = host;
        this.store = store;
        this.backend = backend;
        this.clock = clock;
        this.every = every;
        this.applier = new Applier(store, () -> {
            throw new IllegalStateException("the host runtime creates nothing by generated name");
        });
    }

    public String host() {
        return host;
    }

    /** Registers this host (or refreshes its registration) and marks it Ready with a heartbeat. */
    public Host heartbeat() {
        Instant now = clock.instant();
        HostSpec spec = new HostSpec(backend.address(), backend.capacity());
        Optional<Host> current = store.get(Host.class, host);
        if (current.isEmpty()) {
            Host h = Host.of(ObjectMeta.named(host).withLabels(backend.labels()), spec)
                    .withStatus(new HostStatus(HostPhase.READY, Optional.of(now), Resources.ZERO, Optional.empty(),
                            Optional.empty()));
            try {
                return store.create(h);
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
                .withStatus(new HostStatus(HostPhase.READY, Optional.of(now), allocated, Optional.empty(),
                        h.status().leaseId()));
        return store.update(next);
    }

    /** One pass: heartbeat, observe, plan, act. Returns the actions taken. */
    public List<HostAction> pass() {
        heartbeat();
        return pass(store.list(Node.class), store.list(Pod.class));
    }

    /** A pass from nodes and pods read by the caller (a simulation reads once for all its hosts). */
    public List<HostAction> pass(List<Node> nodes, List<Pod> pods) {
        Observed seen = backend.observe();
        List<HostAction> actions = HostPlan.plan(host, nodes, pods, seen, clock.instant(), every);
        List<dev.kiln.cluster.control.Action> writes = new ArrayList<>();
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
        return actions;
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
                } catch (RuntimeException e) {
                    LOG.error("host {}: pass failed (retrying)", host, e);
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
