package dev.kiln.cluster.node;

import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.control.ControlPlane;
import dev.kiln.cluster.control.Res;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.cluster.store.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static dev.kiln.cluster.control.Res.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A VMM exit is an immediate signal: the backend pushes it to the host runtime, which marks the node Lost at that
 * instant of the injected clock, with no pass in between. The real runtime and control plane over an in-memory store,
 * with a simulated host.
 */
class VmEndedTest {
    private final TestClock clock = new TestClock(T0);
    private final ResourceStore store = new ResourceStore(KvStore.memory(clock), clock);
    private final SimBackend backend = new SimBackend("h1", clock, Resources.of("4", "8Gi"), Duration.ofSeconds(2),
            Duration.ofSeconds(1));
    private final HostRuntime runtime = new HostRuntime("h1", store, backend, clock, Duration.ofSeconds(1));

    private Node node(String name) {
        return store.get(Node.class, name).orElseThrow();
    }

    private void createNode(String name, String host) {
        store.create(Node.of(ObjectMeta.named(name), new NodeSpec("workers", Optional.of(host), Res.SMALL, "fake",
                false)));
    }

    /** n1 on h1, Ready, with pod p1 Running on it. */
    private void readyNodeWithAPod() {
        runtime.heartbeat();
        createNode("n1", "h1");
        store.create(Pod.of(ObjectMeta.named("p1"), Res.podSpec("100m", "64Mi").withNodeName("n1")));
        for (int s = 0; s < 5; s++) {
            runtime.pass();
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(node("n1").status().phase()).isEqualTo(NodePhase.READY);
        assertThat(store.get(Pod.class, "p1").orElseThrow().status().phase()).isEqualTo(PodPhase.RUNNING);
    }

    private long nodeLostEvents() {
        return store.list(Event.class).stream().filter(e -> e.reason().equals("NodeLost")
                && e.involvedObject().name().equals("n1")).count();
    }

    @Test
    void aVmmExitMakesItsNodeLostAtTheSameInstantWithoutAPass() {
        readyNodeWithAPod();
        Instant killed = clock.instant();

        backend.killVm("n1");

        Node lost = node("n1");
        assertThat(lost.status().phase()).isEqualTo(NodePhase.LOST);
        assertThat(lost.status().message().orElseThrow()).contains("its microVM ended", "VMM exited");
        assertThat(clock.instant()).as("no time passed: no pass ran").isEqualTo(killed);
        assertThat(nodeLostEvents()).isEqualTo(1);

        // the control plane moves the pod off the Lost node in its next pass
        new ControlPlane(store, clock, ControlConfig.defaults()).pass();
        Pod moved = store.get(Pod.class, "p1").orElseThrow();
        assertThat(moved.spec().nodeName()).isEmpty();
        assertThat(moved.status().phase()).isEqualTo(PodPhase.PENDING);

        // the host's next pass finds nothing more to report about n1: no second Lost write, no second event
        assertThat(runtime.pass()).noneMatch(a -> a instanceof HostAction.Write w
                && w.action().describe().contains("n1"));
        assertThat(nodeLostEvents()).isEqualTo(1);
    }

    @Test
    void endsOfVmsThatAreNotLiveNodesOfThisHostChangeNothing() {
        readyNodeWithAPod();
        createNode("other", "h2");
        String otherVersion = node("other").metadata().resourceVersion().orElseThrow();

        assertThat(runtime.vmEnded("other", "the VMM exited")).as("a node of another host").isEmpty();
        assertThat(node("other").metadata().resourceVersion()).contains(otherVersion);
        assertThat(runtime.vmEnded("gone", "the VMM exited")).as("a node not in the store").isEmpty();

        backend.killVm("n1");
        String lostVersion = node("n1").metadata().resourceVersion().orElseThrow();
        assertThat(runtime.vmEnded("n1", "removed")).as("a node already Lost (the runtime removes its VM)")
                .isEmpty();
        assertThat(node("n1").metadata().resourceVersion()).contains(lostVersion);
        assertThat(nodeLostEvents()).isEqualTo(1);
    }

    @Test
    void aClosedRuntimeIgnoresTheEvent() {
        readyNodeWithAPod();
        runtime.close();

        backend.killVm("n1");

        assertThat(node("n1").status().phase()).as("left to the next daemon's runtime")
                .isEqualTo(NodePhase.READY);
    }
}
