package dev.kiln.cluster.node;

import dev.kiln.cluster.control.ClusterView;
import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.DeploymentSpec;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.NodePoolSpec;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodTemplate;
import dev.kiln.cluster.model.ResourceRequirements;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.model.RollingUpdate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control logic at scale, on simulated hosts (no VMs): 1,000 nodes and 10,000 pods are placed; then nodes fail
 * at random (VMM exits and agents that stop answering) and the cluster heals. At every step no pod runs in two
 * places; at the end every pod runs exactly once, where the store says it is.
 */
class ClusterSimulationTest {
    private static final int HOSTS = 10;
    private static final int NODES = 1_000;
    private static final int DEPLOYMENTS = 100;
    private static final int REPLICAS = 100;

    @Test
    void aThousandNodesAndTenThousandPodsSurviveRandomNodeFailures() {
        ControlConfig config = ControlConfig.defaults().withActionBudget(50_000);
        // room for 120 one-CPU nodes per host: replacements fit while lost nodes are cleared
        SimCluster sim = new SimCluster(HOSTS, Resources.of("120", "120Gi"), config, 42);
        sim.store.create(NodePool.of(ObjectMeta.named("workers"), new NodePoolSpec(NODES,
                NodeProfile.of(1, 1L << 30), "fake", Map.of(), Map.of())));
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1")
                .withResources(ResourceRequirements.requests(Resources.of("50m", "32Mi")))));
        for (int d = 0; d < DEPLOYMENTS; d++) {
            String name = "app-" + d;
            sim.store.create(Deployment.of(ObjectMeta.named(name), new DeploymentSpec(REPLICAS, Map.of("app", name),
                    PodTemplate.of(Map.of("app", name), spec), RollingUpdate.DEFAULT)));
        }

        long start = System.nanoTime();
        int ticks = runUntil(sim, 60, this::allRunning);
        System.out.printf("simulation: %d nodes and %d pods Running after %d simulated s (%d ms wall)%n",
                NODES, DEPLOYMENTS * REPLICAS, ticks, (System.nanoTime() - start) / 1_000_000);
        assertThat(allRunning(sim.control.read())).as("everything running after %d ticks", ticks).isTrue();

        // faults: 50 VMMs exit and 50 agents stop answering, at random
        Random random = new Random(7);
        List<String> nodes = new ArrayList<>(sim.control.read().nodes().stream().map(Node::name).toList());
        java.util.Collections.shuffle(nodes, random);
        for (String n : nodes.subList(0, 50)) {
            backendOf(sim, n).killVm(n);
        }
        for (String n : nodes.subList(50, 100)) {
            backendOf(sim, n).hangAgent(n);
        }
        start = System.nanoTime();
        ticks = runUntil(sim, 120, view -> allRunning(view) && view.nodes().stream()
                .noneMatch(n -> nodes.subList(0, 100).contains(n.name())));
        System.out.printf("simulation: healed from 100 node failures in %d simulated s (%d ms wall)%n", ticks,
                (System.nanoTime() - start) / 1_000_000);

        ClusterView end = sim.control.read();
        assertThat(end.nodes()).hasSize(NODES).allMatch(n -> n.status().phase() == NodePhase.READY);
        assertThat(end.nodes()).extracting(Node::name).doesNotContainAnyElementsOf(nodes.subList(0, 100));
        assertThat(end.pods()).hasSize(DEPLOYMENTS * REPLICAS);
        Map<String, List<String>> running = sim.running();
        for (Pod p : end.pods()) {
            assertThat(p.status().phase()).isEqualTo(PodPhase.RUNNING);
            assertThat(running.get(p.name())).as("where %s runs", p.name())
                    .containsExactly(p.spec().nodeName().orElseThrow());
        }
        assertThat(running.keySet()).hasSize(DEPLOYMENTS * REPLICAS);
    }

    private static SimBackend backendOf(SimCluster sim, String node) {
        return sim.backends.values().stream().filter(b -> b.nodes().contains(node)).findFirst().orElseThrow();
    }

    private boolean allRunning(ClusterView view) {
        return view.nodes().size() == NODES && view.pods().size() == DEPLOYMENTS * REPLICAS
                && view.nodes().stream().allMatch(n -> n.status().phase() == NodePhase.READY)
                && view.pods().stream().allMatch(p -> p.status().phase() == PodPhase.RUNNING);
    }

    /** Ticks until {@code done} holds (at most {@code limit} ticks), checking that no pod ever runs twice. */
    private static int runUntil(SimCluster sim, int limit, Predicate<ClusterView> done) {
        for (int t = 1; t <= limit; t++) {
            sim.tick();
            sim.running().forEach((pod, where) -> assertThat(where).as("nodes running %s", pod).hasSize(1));
            if (done.test(sim.control.read())) {
                return t;
            }
        }
        return limit;
    }
}
