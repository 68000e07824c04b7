package dev.kiln.cluster.node;

import dev.kiln.cluster.control.ClusterView;
import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.DeploymentSpec;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.NodePoolSpec;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodTemplate;
import dev.kiln.cluster.model.ResourceRequirements;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.model.RollingUpdate;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host cut off from the store, on simulated hosts: it fences itself (removes its node VMs) before the control
 * plane declares it Lost, so at no moment does a pod run in two places; its nodes and pods come back on the other
 * hosts; when its link returns it holds no stale VM and takes work again.
 */
class HostPartitionSimulationTest {
    private static final int PODS = 6;

    @Test
    void aCutOffHostFencesItselfBeforeItsPodsRunElsewhereAndComesBackEmpty() {
        SimCluster sim = new SimCluster(3, Resources.of("8", "16Gi"), ControlConfig.defaults(), 3);
        sim.store.create(NodePool.of(ObjectMeta.named("workers"), new NodePoolSpec(3, NodeProfile.of(1, 1L << 30),
                "fake", Map.of(), Map.of())));
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1")
                .withResources(ResourceRequirements.requests(Resources.of("100m", "32Mi")))));
        sim.store.create(Deployment.of(ObjectMeta.named("web"), new DeploymentSpec(PODS, Map.of("app", "web"),
                PodTemplate.of(Map.of("app", "web"), spec), RollingUpdate.DEFAULT)));
        assertThat(runUntil(sim, 60, v -> settled(v, Optional.empty()))).as("ticks to start").isLessThan(60);
        ClusterView before = sim.control.read();
        assertThat(before.nodes()).extracting(n -> n.spec().host().orElseThrow())
                .as("the pool spreads over the hosts").containsExactlyInAnyOrder("host-1", "host-2", "host-3");
        assertThat(sim.backends.get("host-1").running()).as("pods on host-1 before the cut").isNotEmpty();

        sim.cutOff.add("host-1");
        HostRuntime h1 = sim.hosts.getFirst();
        int fencedAt = -1;
        int lostAt = -1;
        int healedAt = -1;
        for (int t = 1; t <= 120 && healedAt < 0; t++) {
            sim.tick();
            sim.running().forEach((pod, where) -> assertThat(where).as("nodes running %s", pod).hasSize(1));
            ClusterView v = sim.control.read();
            if (fencedAt < 0 && h1.fenced()) {
                fencedAt = t;
                assertThat(sim.backends.get("host-1").nodes()).as("host-1's VMs after fencing").isEmpty();
            }
            if (lostAt < 0 && host(v, "host-1").status().phase() == HostPhase.LOST) {
                lostAt = t;
            }
            if (settled(v, Optional.of("host-1"))) {
                healedAt = t;
            }
        }
        System.out.printf("partition: host-1 fenced itself after %d s, Lost after %d s, its pods Running elsewhere "
                + "after %d s%n", fencedAt, lostAt, healedAt);
        assertThat(fencedAt).as("fenced").isPositive();
        assertThat(lostAt).as("declared Lost, after it fenced itself").isGreaterThan(fencedAt);
        assertThat(healedAt).as("healed, after host-1 was Lost").isGreaterThanOrEqualTo(lostAt);

        sim.cutOff.remove("host-1");
        for (int t = 0; t < 10; t++) {
            sim.tick();
            sim.running().forEach((pod, where) -> assertThat(where).as("nodes running %s", pod).hasSize(1));
        }
        ClusterView after = sim.control.read();
        assertThat(host(after, "host-1").status().phase()).as("host-1 back").isEqualTo(HostPhase.READY);
        assertThat(sim.backends.get("host-1").nodes()).as("stale VMs on host-1").isEmpty();
        assertThat(settled(after, Optional.of("host-1"))).isTrue();
        assertThat(sim.running()).hasSize(PODS);
    }

    @Test
    void aHostDoesNotFenceWhileNoOtherHostReachesTheStoreEither() {
        dev.kiln.cluster.store.TestClock clock = new dev.kiln.cluster.store.TestClock();
        dev.kiln.cluster.store.ResourceStore store = new dev.kiln.cluster.store.ResourceStore(
                dev.kiln.cluster.store.KvStore.memory(clock), clock);
        SimBackend backend = new SimBackend("h", clock, Resources.of("4", "8Gi"), java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(1));
        java.util.concurrent.atomic.AtomicBoolean othersGoOn = new java.util.concurrent.atomic.AtomicBoolean(false);
        HostRuntime runtime = new HostRuntime("h", store, backend, clock, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(20), othersGoOn::get);
        runtime.heartbeat();

        clock.advance(java.time.Duration.ofSeconds(19));
        othersGoOn.set(true);
        assertThat(runtime.fenceIfCutOff()).as("before the fence time").isFalse();
        clock.advance(java.time.Duration.ofSeconds(5));
        othersGoOn.set(false);
        assertThat(runtime.fenceIfCutOff()).as("the store is down for everyone").isFalse();
        assertThat(runtime.fenced()).isFalse();
        othersGoOn.set(true);
        assertThat(runtime.fenceIfCutOff()).as("another host reaches the store").isTrue();
        assertThat(runtime.fenced()).isTrue();
        runtime.heartbeat();
        assertThat(runtime.fenced()).as("after a heartbeat got through").isFalse();
    }

    private static Host host(ClusterView v, String name) {
        return v.hostsByName().get(name);
    }

    /** 3 Ready nodes (none on {@code avoid}) and every pod Running on one of them. */
    private static boolean settled(ClusterView v, Optional<String> avoid) {
        List<Node> ready = v.nodes().stream().filter(n -> n.status().phase() == NodePhase.READY).toList();
        return ready.size() == 3 && v.nodes().size() == 3
                && ready.stream().noneMatch(n -> n.spec().host().equals(avoid))
                && v.pods().size() == PODS
                && v.pods().stream().allMatch(p -> p.status().phase() == PodPhase.RUNNING);
    }

    private static int runUntil(SimCluster sim, int limit, java.util.function.Predicate<ClusterView> done) {
        for (int t = 1; t <= limit; t++) {
            sim.tick();
            if (done.test(sim.control.read())) {
                return t;
            }
        }
        return limit;
    }

}
