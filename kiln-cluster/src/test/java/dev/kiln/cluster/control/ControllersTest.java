package dev.kiln.cluster.control;

import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.IntOrPercent;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.RollingUpdate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.kiln.cluster.control.Res.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** The controllers' plans, from hand-made views: pure, no store. */
class ControllersTest {
    private static final ControlConfig CONFIG = ControlConfig.defaults();

    private static <A extends Action> List<A> only(List<Action> actions, Class<A> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void aPoolWithTooFewNodesGetsNewOnesAndOneWithTooManyLosesTheLeastUseful() {
        var view = ClusterView.empty().withPools(List.of(Res.pool("workers", 2)));
        List<Action.CreateNode> creates = only(NodePoolController.plan(view), Action.CreateNode.class);
        assertThat(creates).hasSize(2);
        assertThat(creates.getFirst().node().metadata().labels()).containsEntry(Labels.POOL, "workers");
        assertThat(creates.getFirst().node().spec().host()).isEmpty();

        var three = view.withNodes(List.of(Res.readyNode("workers-a", "h1"), Res.readyNode("workers-b", "h1"),
                Res.node("workers-c", "workers", Optional.of("h1"), NodePhase.BOOTING, T0)));
        List<Action.DeleteNode> deletes = only(NodePoolController.plan(three), Action.DeleteNode.class);
        assertThat(deletes).extracting(a -> a.node().name()).containsExactly("workers-c");
        assertThat(only(NodePoolController.plan(three), Action.CreateNode.class)).isEmpty();
    }

    @Test
    void aLostNodeIsDeletedAndReplaced() {
        var view = ClusterView.empty().withPools(List.of(Res.pool("workers", 2))).withNodes(List.of(
                Res.readyNode("workers-a", "h1"), Res.node("workers-b", "workers", Optional.of("h1"), NodePhase.LOST, T0)));
        List<Action> plan = NodePoolController.plan(view);
        assertThat(only(plan, Action.DeleteNode.class)).extracting(a -> a.node().name()).containsExactly("workers-b");
        assertThat(only(plan, Action.CreateNode.class)).hasSize(1);
    }

    @Test
    void aNodeGoesSuspectThenLostWithoutHeartbeatsAndItsPodsAreUnbound() {
        Instant now = T0.plusSeconds(6);
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1")))
                .withHosts(List.of(Res.host("h1", HostPhase.READY, now)))
                .withPods(List.of(Res.pod("p1", Optional.of("n1"), PodPhase.RUNNING)));
        List<Action.UpdateNode> suspect = only(NodeHealth.plan(view, now, CONFIG), Action.UpdateNode.class);
        assertThat(suspect).singleElement().extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.SUSPECT);
        assertThat(only(NodeHealth.plan(view, now, CONFIG), Action.UpdatePod.class)).isEmpty();

        Instant later = T0.plusSeconds(31);
        var lostView = view.withHosts(List.of(Res.host("h1", HostPhase.READY, later)));
        List<Action> plan = NodeHealth.plan(lostView, later, CONFIG);
        assertThat(only(plan, Action.UpdateNode.class)).singleElement()
                .extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.LOST);
        // a pod of a node that is not lost yet stays; once lost, it is unbound and pending again
        var afterLoss = lostView.withNodes(List.of(Res.node("n1", "workers", Optional.of("h1"), NodePhase.LOST, T0)));
        Action.UpdatePod unbind = only(NodeHealth.plan(afterLoss, later, CONFIG), Action.UpdatePod.class).getFirst();
        assertThat(unbind.pod().spec().nodeName()).isEmpty();
        assertThat(unbind.pod().status().phase()).isEqualTo(PodPhase.PENDING);
        assertThat(unbind.pod().status().reason()).contains("NodeLost");
    }

    @Test
    void aRestartedControlPlaneGivesEveryNodeItsGracePeriodAgain() {
        Instant now = T0.plusSeconds(60); // the control plane was down for a minute
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1")))
                .withHosts(List.of(Res.host("h1", HostPhase.READY, T0)));
        assertThat(only(NodeHealth.plan(view, now, CONFIG, now.minusSeconds(2)), Action.UpdateNode.class)).isEmpty();
        assertThat(only(NodeHealth.plan(view, now, CONFIG, now.minusSeconds(6)), Action.UpdateNode.class))
                .singleElement().extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.SUSPECT);
        assertThat(only(NodeHealth.plan(view, now, CONFIG), Action.UpdateNode.class))
                .singleElement().extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.LOST);
    }

    @Test
    void aFreshHeartbeatBringsASuspectNodeBackAndALostHostTakesItsNodes() {
        Instant now = T0.plusSeconds(1);
        var suspect = Res.node("n1", "workers", Optional.of("h1"), NodePhase.SUSPECT, now);
        var view = ClusterView.empty().withNodes(List.of(suspect)).withHosts(List.of(Res.host("h1", HostPhase.READY, now)));
        assertThat(only(NodeHealth.plan(view, now, CONFIG), Action.UpdateNode.class)).singleElement()
                .extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.READY);

        Instant late = now.plus(Duration.ofSeconds(31));
        var hostGone = view.withHosts(List.of(Res.host("h1", HostPhase.READY, now)));
        List<Action> plan = NodeHealth.plan(hostGone, late, CONFIG);
        assertThat(only(plan, Action.UpdateHost.class)).singleElement()
                .extracting(a -> a.host().status().phase()).isEqualTo(HostPhase.LOST);
        assertThat(only(plan, Action.UpdateNode.class)).singleElement()
                .satisfies(a -> assertThat(a.node().status().message()).contains("its host h1 is lost"));
    }

    @Test
    void podsSpreadOverReadyNodesAndAPodThatCannotFitStaysPendingWithTheReason() {
        Deployment web = Res.deployment("web", 3, RollingUpdate.DEFAULT);
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1"), Res.readyNode("n2", "h1"),
                        Res.node("n3", "workers", Optional.of("h1"), NodePhase.SUSPECT, T0)))
                .withDeployments(List.of(web))
                .withPods(List.of(Res.podOf(web, "web-1", Optional.empty(), PodPhase.PENDING),
                        Res.podOf(web, "web-2", Optional.empty(), PodPhase.PENDING),
                        Res.podOf(web, "web-3", Optional.empty(), PodPhase.PENDING),
                        Res.pod("huge", Optional.empty(), PodPhase.PENDING).withSpec(Res.podSpec("4", "64Mi"))));
        List<Action> plan = Scheduling.plan(view);
        List<Action.BindPod> binds = only(plan, Action.BindPod.class);
        assertThat(binds).extracting(Action.BindPod::node).containsExactlyInAnyOrder("n1", "n2", "n1")
                .doesNotContain("n3");
        Action.UpdatePod pending = only(plan, Action.UpdatePod.class).getFirst();
        assertThat(pending.pod().name()).isEqualTo("huge");
        assertThat(pending.pod().status().reason()).contains("Unschedulable");
        assertThat(pending.pod().status().message().orElseThrow()).contains("exceed");
        assertThat(only(plan, Action.Emit.class)).anySatisfy(e -> assertThat(e.reason()).isEqualTo("FailedScheduling"));

        // the same reason again is not a new status or event
        var again = view.withPods(List.of(pending.pod()));
        assertThat(only(Scheduling.plan(again), Action.UpdatePod.class)).isEmpty();
        assertThat(only(Scheduling.plan(again), Action.Emit.class)).isEmpty();
    }

    @Test
    void aSecondReplicaWaitsForABootingNodeInsteadOfDoublingUp() {
        Deployment web = Res.deployment("web", 2, RollingUpdate.DEFAULT);
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1"),
                        Res.node("n2", "workers", Optional.of("h1"), NodePhase.BOOTING, T0)))
                .withDeployments(List.of(web))
                .withPods(List.of(Res.podOf(web, "web-1", Optional.empty(), PodPhase.PENDING),
                        Res.podOf(web, "web-2", Optional.empty(), PodPhase.PENDING),
                        Res.pod("solo", Optional.empty(), PodPhase.PENDING)));
        List<Action> plan = Scheduling.plan(view);
        assertThat(only(plan, Action.BindPod.class)).extracting(b -> b.pod().name())
                .containsExactlyInAnyOrder("web-1", "solo");
        assertThat(only(plan, Action.UpdatePod.class)).singleElement().satisfies(u -> {
            assertThat(u.pod().name()).isEqualTo("web-2");
            assertThat(u.pod().status().reason()).contains("WaitingForNodes");
        });
        // a replica whose node was lost does not wait for the booting node
        Pod displaced = Res.podOf(web, "web-2", Optional.empty(), PodPhase.PENDING);
        displaced = displaced.withStatus(new dev.kiln.cluster.model.PodStatus(PodPhase.PENDING, Optional.empty(),
                Optional.of("NodeLost"), Optional.empty(), Optional.empty(), Optional.empty(), List.of()));
        var lost = view.withPods(List.of(Res.podOf(web, "web-1", Optional.of("n1"), PodPhase.RUNNING), displaced));
        assertThat(only(Scheduling.plan(lost), Action.BindPod.class)).singleElement()
                .extracting(Action.BindPod::node).isEqualTo("n1");
        // once n2 is ready, the second replica goes there
        var later = view.withNodes(List.of(Res.readyNode("n1", "h1"), Res.readyNode("n2", "h1")))
                .withPods(List.of(Res.podOf(web, "web-1", Optional.of("n1"), PodPhase.RUNNING),
                        Res.podOf(web, "web-2", Optional.empty(), PodPhase.PENDING)));
        assertThat(only(Scheduling.plan(later), Action.BindPod.class)).singleElement()
                .extracting(Action.BindPod::node).isEqualTo("n2");
    }

    @Test
    void hostNetworkPodsListeningOnTheSamePortNeverShareANode() {
        var withPort = Res.podSpec("100m", "64Mi");
        withPort = new dev.kiln.cluster.model.PodSpec(List.of(withPort.containers().getFirst()
                .withPorts(List.of(dev.kiln.cluster.model.ContainerPort.tcp(8080)))), withPort.restartPolicy(),
                java.util.Map.of(), Optional.empty(), true);
        var a = Res.pod("a", Optional.of("n1"), PodPhase.RUNNING).withSpec(withPort.withNodeName("n1"));
        var b = Res.pod("b", Optional.empty(), PodPhase.PENDING).withSpec(withPort);
        var c = Res.pod("c", Optional.empty(), PodPhase.PENDING).withSpec(withPort);
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1"), Res.readyNode("n2", "h1")))
                .withPods(List.of(a, b, c));
        List<Action> plan = Scheduling.plan(view);
        assertThat(only(plan, Action.BindPod.class)).singleElement().extracting(Action.BindPod::node).isEqualTo("n2");
        assertThat(only(plan, Action.UpdatePod.class)).singleElement().satisfies(u ->
                assertThat(u.pod().status().message().orElseThrow()).contains("port 8080"));
    }

    @Test
    void podsWithAddressesOfTheirOwnShareANodeWhateverTheirPorts() {
        var base = Res.podSpec("100m", "64Mi");
        var withPort = new dev.kiln.cluster.model.PodSpec(List.of(base.containers().getFirst()
                .withPorts(List.of(dev.kiln.cluster.model.ContainerPort.tcp(8080)))), base.restartPolicy(),
                java.util.Map.of(), Optional.empty());
        var a = Res.pod("a", Optional.of("n1"), PodPhase.RUNNING).withSpec(withPort.withNodeName("n1"));
        var b = Res.pod("b", Optional.empty(), PodPhase.PENDING).withSpec(withPort);
        var view = ClusterView.empty().withNodes(List.of(Res.readyNode("n1", "h1"))).withPods(List.of(a, b));
        assertThat(only(Scheduling.plan(view), Action.BindPod.class)).singleElement()
                .extracting(Action.BindPod::node).isEqualTo("n1");
    }

    @Test
    void nodesArePlacedOnReadyHostsOnly() {
        var view = ClusterView.empty().withPools(List.of(Res.pool("workers", 2)))
                .withHosts(List.of(Res.host("h1", HostPhase.READY, T0), Res.host("h2", HostPhase.SUSPECT, T0)))
                .withNodes(List.of(Res.node("workers-a", "workers", Optional.empty(), NodePhase.PENDING, T0)));
        List<Action.BindNode> binds = only(Scheduling.plan(view), Action.BindNode.class);
        assertThat(binds).singleElement().satisfies(b -> {
            assertThat(b.host()).isEqualTo("h1");
            assertThat(b.node().metadata().labels()).containsEntry(Labels.HOST, "h1");
        });
    }

    @Test
    void aDeploymentIsScaledUpAndDown() {
        Deployment web = Res.deployment("web", 3, RollingUpdate.DEFAULT);
        var none = ClusterView.empty().withDeployments(List.of(web));
        assertThat(only(DeploymentController.plan(none), Action.CreatePod.class)).hasSize(3)
                .allSatisfy(c -> assertThat(c.pod().metadata().labels()).containsEntry(Labels.DEPLOYMENT, "web")
                        .containsEntry("app", "web"));

        List<Pod> five = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            five.add(Res.podOf(web, "web-" + i, Optional.of("n1"), i == 5 ? PodPhase.PENDING : PodPhase.RUNNING));
        }
        List<Action.DeletePod> deletes = only(DeploymentController.plan(none.withPods(five)), Action.DeletePod.class);
        assertThat(deletes).extracting(d -> d.pod().name()).containsExactly("web-5", "web-4");
    }

    @Test
    void aRollingUpdateKeepsEnoughPodsReady() {
        RollingUpdate oneByOne = new RollingUpdate(IntOrPercent.count(0), IntOrPercent.count(1));
        Deployment v1 = Res.deployment("web", 3, oneByOne);
        List<Pod> old = List.of(Res.podOf(v1, "web-a", Optional.of("n1"), PodPhase.RUNNING),
                Res.podOf(v1, "web-b", Optional.of("n1"), PodPhase.RUNNING),
                Res.podOf(v1, "web-c", Optional.of("n2"), PodPhase.RUNNING));
        Deployment v2 = v1.withSpec(v1.spec().withTemplate(dev.kiln.cluster.model.PodTemplate.of(
                v1.spec().template().labels(), Res.podSpec("200m", "64Mi"))));
        assertThat(DeploymentController.templateHash(v2)).isNotEqualTo(DeploymentController.templateHash(v1));

        // surge one new pod, delete nothing while it is not ready
        List<Action> first = DeploymentController.plan(ClusterView.empty().withDeployments(List.of(v2)).withPods(old));
        assertThat(only(first, Action.CreatePod.class)).hasSize(1);
        assertThat(only(first, Action.DeletePod.class)).isEmpty();

        // once it is ready, one old pod goes
        List<Pod> withNew = new ArrayList<>(old);
        withNew.add(Res.podOf(v2, "web-new1", Optional.of("n2"), PodPhase.RUNNING));
        List<Action> second = DeploymentController.plan(ClusterView.empty().withDeployments(List.of(v2)).withPods(withNew));
        assertThat(only(second, Action.DeletePod.class)).hasSize(1);
        assertThat(only(second, Action.CreatePod.class)).isEmpty();
    }

    @Test
    void podsOfADeletedDeploymentAreDeletedAndFinishedPodsReplaced() {
        Deployment web = Res.deployment("web", 1, RollingUpdate.DEFAULT);
        Pod orphan = Res.podOf(web, "web-x", Optional.of("n1"), PodPhase.RUNNING);
        assertThat(only(DeploymentController.plan(ClusterView.empty().withPods(List.of(orphan))), Action.DeletePod.class))
                .singleElement().satisfies(d -> assertThat(d.why()).contains("gone"));

        Pod failed = Res.podOf(web, "web-y", Optional.of("n1"), PodPhase.FAILED);
        List<Action> plan = DeploymentController.plan(ClusterView.empty().withDeployments(List.of(web))
                .withPods(List.of(failed)));
        assertThat(only(plan, Action.DeletePod.class)).hasSize(1);
        assertThat(only(plan, Action.CreatePod.class)).hasSize(1);
    }

    @Test
    void theWholePlanOfAnEmptyClusterIsEmpty() {
        assertThat(ControlPlane.plan(ClusterView.empty(), T0, CONFIG)).isEmpty();
    }
}
