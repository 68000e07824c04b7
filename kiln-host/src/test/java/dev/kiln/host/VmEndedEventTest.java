package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.node.HostRuntime;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.host.cluster.PodRecords;
import dev.kiln.host.cluster.VmNodeBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A VMM exit is pushed, not polled: {@link VmService} tells its listeners the moment a VMM process ends, and the
 * cluster's backend turns that into "node Lost" in the store with no host pass running. Real VM service, fake driver
 * (real records, taps and leases; no hypervisor), in-memory store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmEndedEventTest {
    private HostConfig config;
    private HostAgent agent;

    @BeforeAll
    void start() {
        config = TestHosts.config(true);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() {
        if (agent != null) agent.cleanupAndClose();
        TestHosts.deleteTree(config.stateDir());
    }

    private VmView fakeVm(String name) {
        return agent.vms().create(VmCreateRequest.empty().named(name).withDriver("fake"), true);
    }

    @Test
    void theVmServiceTellsItsListenersWhenAVmmEndsUntilTheyUnsubscribe() {
        List<VmService.Ended> ended = new CopyOnWriteArrayList<>();
        VmView vm = fakeVm("ends-1");
        VmService.Subscription subscription = agent.vms().onEnded(ended::add);

        agent.vms().kill("ends-1");

        await().atMost(Duration.ofSeconds(5)).until(() -> !ended.isEmpty());
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.name()).isEqualTo("ends-1");
            assertThat(e.id()).isEqualTo(vm.id());
            assertThat(e.phase()).isIn("stopped", "failed");
            assertThat(e.why()).isNotBlank();
        });
        assertThat(agent.vms().get("ends-1").phase()).as("the record shows the end first").isEqualTo(ended.getFirst()
                .phase());

        subscription.close();
        fakeVm("ends-2");
        agent.vms().kill("ends-2");
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.vms().hasEnded("ends-2"));
        assertThat(ended).as("no calls after unsubscribing").hasSize(1);
        agent.vms().remove("ends-1", true);
        agent.vms().remove("ends-2", true);
    }

    @Test
    void aNodesVmmExitMakesTheNodeLostWithoutAHostPass() {
        Clock clock = Clock.systemUTC();
        ResourceStore store = new ResourceStore(KvStore.memory(clock), clock);
        try (VmNodeBackend backend = new VmNodeBackend(agent.vms(), agent.containers(),
                new PodRecords(config.stateDir().resolve("pods.json")), config.stateDir().resolve("nodes.json"), 0, 0,
                Resources.of("2", "4Gi"), "127.0.0.1", "", "", 0, Map.of(), image -> { })) {
            // the runtime never makes a pass here: only the pushed end can change the node
            HostRuntime runtime = new HostRuntime("h1", store, backend, clock, Duration.ofHours(1));
            VmView vm = fakeVm("kn-n1");
            store.create(Node.of(ObjectMeta.named("n1"), new NodeSpec("workers", Optional.of("h1"),
                    NodeProfile.of(1, 256L << 20), "fake", false)));
            Node created = store.get(Node.class, "n1").orElseThrow();
            store.update(created.withStatus(new NodeStatus(NodePhase.READY, Optional.of(vm.name()),
                    Optional.of(vm.ip()), Optional.of(clock.instant()), Resources.ZERO, List.of(),
                    Optional.of("ready"))));
            fakeVm("kw-idle"); // a warm-pool VM that no node took is not a node

            long t0 = System.nanoTime();
            agent.vms().kill("kn-n1");
            agent.vms().kill("kw-idle");

            Node lost = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> store.get(Node.class, "n1").orElseThrow(),
                            n -> n.status().phase() == NodePhase.LOST);
            System.out.printf("a node's fake VMM killed -> node Lost in the store after %d ms, no pass%n",
                    (System.nanoTime() - t0) / 1_000_000);
            assertThat(lost.status().message().orElseThrow()).startsWith("its microVM ended: the VMM ");
            assertThat(store.list(Node.class)).as("nothing was made of the pool VM's end").hasSize(1);
            runtime.close();
        } finally {
            agent.vms().remove("kn-n1", true);
            agent.vms().remove("kw-idle", true);
            store.kv().close();
        }
    }
}
