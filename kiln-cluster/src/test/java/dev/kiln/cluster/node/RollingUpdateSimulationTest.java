package dev.kiln.cluster.node;

import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.control.ClusterView;
import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.control.DeploymentController;
import dev.kiln.cluster.control.Labels;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.model.Resources;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling update end to end: the Deployment is applied and changed through the real cluster API server (over the
 * simulation's in-memory store), the real control plane rolls it out, and simulated hosts run the pods. At every
 * simulated second the rollout stays within its limits: no more than {@code replicas + maxSurge} pods exist, and at
 * least {@code replicas - maxUnavailable} pods run (in the store and really, on the hosts). At the end every pod is
 * of the new template and runs exactly once. (As in Kubernetes, a pod the controller deleted no longer counts: its
 * host stops it at its next pass, so for up to a second the hosts may run one more than the surge allows.)
 */
class RollingUpdateSimulationTest {
    private static final int REPLICAS = 4;

    private static String manifest(int maxSurge, int maxUnavailable, String version) {
        return """
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: workers}
                spec:
                  replicas: 2
                  profile: {cpus: 1, memory: 1Gi}
                  driver: fake
                ---
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: %d
                  strategy: {maxSurge: %d, maxUnavailable: %d}
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: main
                          image: "busybox:1"
                          command: [sh, -c, "echo %s; sleep 3600"]
                          resources: {requests: {cpu: 100m, memory: 32Mi}}
                """.formatted(REPLICAS, maxSurge, maxUnavailable, version);
    }

    private static void apply(ClusterClient client, String yaml) {
        for (Resource r : Manifests.read(yaml, "test")) {
            client.apply(r);
        }
    }

    private static List<Pod> live(ClusterView view) {
        return view.pods().stream().filter(p -> p.status().phase() != PodPhase.SUCCEEDED
                && p.status().phase() != PodPhase.FAILED).toList();
    }

    /** The pods the store shows Running that really run on a simulated host. */
    private static long reallyRunning(SimCluster sim, ClusterView view) {
        Map<String, List<String>> running = sim.running();
        return view.pods().stream().filter(p -> p.status().phase() == PodPhase.RUNNING)
                .filter(p -> running.getOrDefault(p.name(), List.of()).equals(List.of(p.spec().nodeName()
                        .orElseThrow()))).count();
    }

    @ParameterizedTest(name = "maxSurge {0}, maxUnavailable {1}")
    @CsvSource({"1, 1", "1, 0", "0, 1", "2, 0"})
    void aTemplateChangeRollsThePodsOverWithinMaxSurgeAndMaxUnavailable(int maxSurge, int maxUnavailable) {
        SimCluster sim = new SimCluster(2, Resources.of("8", "16Gi"), ControlConfig.defaults(), 11);
        try (ClusterApiServer server = ClusterApiServer.start(sim.store, "127.0.0.1", 0, Optional.empty());
             ClusterClient client = ClusterClient.connect(server.uri(), server.token())) {
            apply(client, manifest(maxSurge, maxUnavailable, "v1"));
            int started = runUntil(sim, 30, v -> live(v).size() == REPLICAS
                    && reallyRunning(sim, v) == REPLICAS);
            assertThat(started).as("ticks until v1 runs").isLessThan(30);
            Set<String> v1 = sim.control.read().pods().stream().map(Pod::name).collect(Collectors.toSet());

            apply(client, manifest(maxSurge, maxUnavailable, "v2"));
            String v2 = DeploymentController.templateHash(client.get(Deployment.class, "web"));
            int most = 0;
            int fewest = REPLICAS;
            int ticks = 0;
            for (; ticks < 60; ticks++) {
                sim.tick();
                ClusterView view = sim.control.read();
                int exist = live(view).size();
                int running = (int) reallyRunning(sim, view);
                most = Math.max(most, exist);
                fewest = Math.min(fewest, running);
                assertThat(exist).as("pods at second %d", ticks + 1).isLessThanOrEqualTo(REPLICAS + maxSurge);
                assertThat(running).as("pods running at second %d", ticks + 1)
                        .isGreaterThanOrEqualTo(REPLICAS - maxUnavailable);
                sim.running().forEach((pod, where) -> assertThat(where).as("nodes running %s", pod).hasSize(1));
                // done when the hosts also stopped the old pods the last control pass deleted (they do at their next pass)
                if (view.pods().size() == REPLICAS && running == REPLICAS && sim.running().size() == REPLICAS
                        && view.pods().stream()
                        .allMatch(p -> v2.equals(p.metadata().labels().get(Labels.TEMPLATE_HASH)))) {
                    break;
                }
            }
            System.out.printf("rolling update (maxSurge %d, maxUnavailable %d): %d pods replaced in %d simulated s;"
                    + " at most %d pods, at least %d running%n", maxSurge, maxUnavailable, REPLICAS, ticks + 1, most,
                    fewest);

            List<Pod> end = client.list(Kind.POD, Map.of("app", "web")).stream().map(Pod.class::cast).toList();
            assertThat(end).hasSize(REPLICAS).allSatisfy(p -> {
                assertThat(p.status().phase()).isEqualTo(PodPhase.RUNNING);
                assertThat(p.metadata().labels()).containsEntry(Labels.TEMPLATE_HASH, v2);
                assertThat(p.spec().containers().getFirst().command()).contains("echo v2; sleep 3600");
                assertThat(v1).doesNotContain(p.name());
            });
            assertThat(sim.running()).as("what runs on the hosts").hasSize(REPLICAS)
                    .allSatisfy((pod, where) -> assertThat(where).hasSize(1));
            Deployment web = client.get(Deployment.class, "web");
            assertThat(web.status().updatedReplicas()).isEqualTo(REPLICAS);
            assertThat(web.status().readyReplicas()).isEqualTo(REPLICAS);
            // the limits were used, not only respected: the rollout went as fast as they allow
            assertThat(most).as("most pods at once").isEqualTo(REPLICAS + maxSurge);
            assertThat(fewest).as("fewest running at once").isEqualTo(REPLICAS - maxUnavailable);
        }
    }

    /** Ticks until {@code done} holds (at most {@code limit} ticks). */
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
