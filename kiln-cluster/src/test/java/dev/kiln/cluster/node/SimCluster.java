package dev.kiln.cluster.node;

import dev.kiln.cluster.control.ClusterView;
import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.control.ControlPlane;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.TestClock;
import dev.kiln.cluster.store.ResourceStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A whole cluster in one process on a simulated clock: the real control plane and the real host runtimes over an
 * in-memory store, with {@link SimBackend} hosts. Each {@link #tick()} advances the clock one second, lets every host
 * make a pass and then the control plane.
 */
final class SimCluster {
    final TestClock clock = new TestClock(Instant.parse("2026-11-23T00:00:00Z"));
    final ResourceStore store;
    final ControlPlane control;
    final List<HostRuntime> hosts = new ArrayList<>();
    final Map<String, SimBackend> backends = new HashMap<>();
    final Duration step = Duration.ofSeconds(1);
    /** Hosts that cannot reach the store (a cut link): they neither heartbeat nor act, but may fence themselves. */
    final java.util.Set<String> cutOff = new java.util.HashSet<>();

    SimCluster(int hostCount, Resources hostCapacity, ControlConfig config, long seed) {
        store = new ResourceStore(KvStore.memory(clock), clock);
        control = new ControlPlane(store, clock, config, controlSuffix(new Random(seed)));
        for (int i = 1; i <= hostCount; i++) {
            String name = "host-" + i;
            SimBackend backend = new SimBackend(name, clock, hostCapacity, Duration.ofSeconds(2), Duration.ofSeconds(1));
            backends.put(name, backend);
            HostRuntime runtime = new HostRuntime(name, store, backend, clock, step);
            runtime.heartbeat();
            hosts.add(runtime);
        }
    }

    private static java.util.function.Supplier<String> controlSuffix(Random random) {
        return () -> Long.toString(random.nextLong() & Long.MAX_VALUE, 36).substring(0, 6);
    }

    void tick() {
        clock.advance(step);
        ClusterView view = control.read();
        for (HostRuntime h : hosts) {
            if (cutOff.contains(h.host())) {
                h.fenceIfCutOff();
                continue;
            }
            h.heartbeat();
            h.pass(view.nodes(), view.pods());
        }
        control.pass();
    }

    /** Pod name → the nodes it runs on, over all hosts. */
    Map<String, List<String>> running() {
        Map<String, List<String>> all = new HashMap<>();
        backends.values().forEach(b -> b.running().forEach((pod, nodes) ->
                all.computeIfAbsent(pod, k -> new ArrayList<>()).addAll(nodes)));
        return all;
    }
}
