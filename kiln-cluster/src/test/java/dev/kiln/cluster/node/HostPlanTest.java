package dev.kiln.cluster.node;

import dev.kiln.cluster.control.Action;
import dev.kiln.cluster.control.Res;
import dev.kiln.cluster.model.Condition;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.cluster.control.Res.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** A host's plan from the nodes bound to it, their pods and what its backend sees: pure. */
class HostPlanTest {
    private static final Duration BEAT = Duration.ofSeconds(1);

    private static Observed.Vm vm(String node, Observed.VmState state, boolean healthy) {
        return new Observed.Vm(node, state, Optional.of("kn-" + node), Optional.of("10.1.0.5"), healthy,
                Optional.empty());
    }

    private static <A> List<A> only(List<HostAction> actions, Class<A> type) {
        return actions.stream().map(a -> a instanceof HostAction.Write w ? w.action() : a)
                .filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void aNewNodeGetsAVmAndBecomesReadyWhenItsAgentAnswers() {
        var pending = Res.node("n1", "workers", Optional.of("h1"), NodePhase.PENDING, T0);
        List<HostAction> first = HostPlan.plan("h1", List.of(pending), List.of(), Observed.nothing(), T0, BEAT);
        assertThat(only(first, HostAction.StartVm.class)).hasSize(1);
        assertThat(only(first, Action.UpdateNode.class)).singleElement()
                .extracting(a -> a.node().status().phase()).isEqualTo(NodePhase.BOOTING);

        var booting = Res.node("n1", "workers", Optional.of("h1"), NodePhase.BOOTING, T0);
        var up = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, true)), Map.of());
        Action.UpdateNode ready = only(HostPlan.plan("h1", List.of(booting), List.of(), up, T0, BEAT),
                Action.UpdateNode.class).getFirst();
        assertThat(ready.node().status().phase()).isEqualTo(NodePhase.READY);
        assertThat(ready.node().status().vm()).contains("kn-n1");
        assertThat(ready.node().status().lastHeartbeat()).contains(T0);
        // nodes of other hosts are not ours
        assertThat(HostPlan.plan("h2", List.of(pending), List.of(), Observed.nothing(), T0, BEAT)).isEmpty();
    }

    @Test
    void aVmEndReportedAtOnceMakesOnlyALiveNodeOfThisHostLost() {
        var ready = Res.readyNode("n1", "h1");
        List<HostAction> actions = HostPlan.vmEnded("h1", Optional.of(ready), "the VMM exited: killed by signal 9");
        assertThat(only(actions, Action.UpdateNode.class)).singleElement().satisfies(a -> {
            assertThat(a.node().status().phase()).isEqualTo(NodePhase.LOST);
            assertThat(a.node().status().message()).contains("its microVM ended: the VMM exited: killed by signal 9");
        });
        assertThat(only(actions, Action.Emit.class)).singleElement().extracting(Action.Emit::reason)
                .isEqualTo("NodeLost");
        assertThat(only(actions, HostAction.RemoveVm.class)).as("the next pass removes it").isEmpty();

        assertThat(HostPlan.vmEnded("h2", Optional.of(ready), "x")).as("another host's node").isEmpty();
        assertThat(HostPlan.vmEnded("h1", Optional.empty(), "x")).as("a deleted node").isEmpty();
        for (NodePhase ended : List.of(NodePhase.LOST, NodePhase.TERMINATING)) {
            var node = Res.node("n1", "workers", Optional.of("h1"), ended, T0);
            assertThat(HostPlan.vmEnded("h1", Optional.of(node), "x")).as("a node already %s", ended).isEmpty();
        }
    }

    @Test
    void aVanishedVmMakesItsNodeLostAtOnceAndAnUnhealthyOneSendsNoHeartbeat() {
        var ready = Res.readyNode("n1", "h1");
        Action.UpdateNode lost = only(HostPlan.plan("h1", List.of(ready), List.of(), Observed.nothing(),
                T0.plusSeconds(1), BEAT), Action.UpdateNode.class).getFirst();
        assertThat(lost.node().status().phase()).isEqualTo(NodePhase.LOST);
        assertThat(lost.node().status().message().orElseThrow()).contains("VMM exited");

        var hung = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, false)), Map.of());
        assertThat(HostPlan.plan("h1", List.of(ready), List.of(), hung, T0.plusSeconds(5), BEAT)).isEmpty();
        var fine = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, true)), Map.of());
        assertThat(only(HostPlan.plan("h1", List.of(ready), List.of(), fine, T0.plusSeconds(5), BEAT),
                Action.UpdateNode.class)).singleElement()
                .satisfies(a -> assertThat(a.node().status().lastHeartbeat()).contains(T0.plusSeconds(5)));
    }

    @Test
    void podsStartOnlyOnReadyNodesAndPodsNoLongerBoundHereAreRemoved() {
        var ready = Res.readyNode("n1", "h1");
        var suspect = Res.node("n2", "workers", Optional.of("h1"), NodePhase.SUSPECT, T0);
        Pod a = Res.pod("a", Optional.of("n1"), PodPhase.SCHEDULED);
        Pod b = Res.pod("b", Optional.of("n2"), PodPhase.SCHEDULED);
        var seen = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, true),
                "n2", vm("n2", Observed.VmState.RUNNING, true)),
                Map.of("n2", Map.of("old", new Observed.PodRun("old", "uid-old", Observed.PodState.RUNNING, List.of(),
                        Optional.empty()))));
        List<HostAction> plan = HostPlan.plan("h1", List.of(ready, suspect), List.of(a, b), seen, T0, BEAT);
        assertThat(only(plan, HostAction.StartPod.class)).extracting(s -> s.pod().name()).containsExactly("a");
        assertThat(only(plan, HostAction.RemovePod.class)).extracting(HostAction.RemovePod::pod)
                .containsExactly("old");
    }

    @Test
    void aRunningPodIsReportedAndAPodOfTheSameNameButAnotherUidIsReplaced() {
        var ready = Res.readyNode("n1", "h1");
        Pod a = Res.pod("a", Optional.of("n1"), PodPhase.SCHEDULED);
        var running = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, true)),
                Map.of("n1", Map.of("a", new Observed.PodRun("a", "uid-a", Observed.PodState.RUNNING, List.of(),
                        Optional.empty()))));
        Action.UpdatePod up = only(HostPlan.plan("h1", List.of(ready), List.of(a), running, T0, BEAT),
                Action.UpdatePod.class).getFirst();
        assertThat(up.pod().status().phase()).isEqualTo(PodPhase.RUNNING);
        assertThat(up.pod().status().startTime()).contains(T0);
        assertThat(up.pod().status().podIP()).as("a pod on its node VM's network").contains("10.1.0.5");
        var own = new Observed(running.vms(), Map.of("n1", Map.of("a", new Observed.PodRun("a", "uid-a",
                Observed.PodState.RUNNING, List.of(), Optional.empty(), Optional.of("10.1.0.9")))));
        assertThat(only(HostPlan.plan("h1", List.of(ready), List.of(a), own, T0, BEAT), Action.UpdatePod.class)
                .getFirst().pod().status().podIP()).as("a pod with an address of its own").contains("10.1.0.9");

        var stale = new Observed(running.vms(), Map.of("n1", Map.of("a", new Observed.PodRun("a", "uid-older",
                Observed.PodState.RUNNING, List.of(), Optional.empty()))));
        List<HostAction> plan = HostPlan.plan("h1", List.of(ready), List.of(a), stale, Instant.from(T0), BEAT);
        assertThat(only(plan, HostAction.RemovePod.class)).hasSize(1);
        assertThat(only(plan, HostAction.StartPod.class)).isEmpty();
    }

    @Test
    void anAgentThatStartsAgainIsRecordedOnItsNodeWithAWarning() {
        Instant first = T0.minusSeconds(60);
        Instant second = T0.minusSeconds(2);
        var booting = Res.node("n1", "workers", Optional.of("h1"), NodePhase.BOOTING, T0);
        var up = new Observed(Map.of("n1", new Observed.Vm("n1", Observed.VmState.RUNNING, Optional.of("kn-n1"),
                Optional.of("10.1.0.5"), true, Optional.empty(), Optional.of(first))), Map.of());
        var ready = only(HostPlan.plan("h1", List.of(booting), List.of(), up, T0, BEAT), Action.UpdateNode.class)
                .getFirst().node();
        assertThat(ready.status().condition(HostPlan.AGENT_STARTED)).hasValueSatisfying(c ->
                assertThat(c.lastTransitionTime()).isEqualTo(first));

        // the same start again: only the heartbeat, when it is due
        assertThat(HostPlan.plan("h1", List.of(ready), List.of(), up, T0, BEAT)).isEmpty();
        // a later start: the condition moves on at once, with a Warning event
        var restarted = new Observed(Map.of("n1", new Observed.Vm("n1", Observed.VmState.RUNNING, Optional.of("kn-n1"),
                Optional.of("10.1.0.5"), true, Optional.empty(), Optional.of(second))), Map.of());
        List<HostAction> plan = HostPlan.plan("h1", List.of(ready), List.of(), restarted, T0, BEAT);
        assertThat(only(plan, Action.UpdateNode.class)).singleElement().satisfies(u -> {
            assertThat(u.node().status().condition(HostPlan.AGENT_STARTED).orElseThrow().lastTransitionTime())
                    .isEqualTo(second);
            assertThat(u.node().status().phase()).isEqualTo(NodePhase.READY);
        });
        assertThat(only(plan, Action.Emit.class)).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("AgentRestarted");
            assertThat(e.message()).contains("restarted at " + second, "had started at " + first);
        });
        // an agent that does not say when it started changes nothing
        assertThat(HostPlan.plan("h1", List.of(ready), List.of(), new Observed(Map.of("n1",
                vm("n1", Observed.VmState.RUNNING, true)), Map.of()), T0, BEAT)).isEmpty();
    }

    @Test
    void anAgentThatSaysItIsDegradedGivesNoHeartbeatButAConditionAndOneWarning() {
        var booting = Res.node("n1", "workers", Optional.of("h1"), NodePhase.BOOTING, T0);
        var up = new Observed(Map.of("n1", vm("n1", Observed.VmState.RUNNING, true)), Map.of());
        var ready = only(HostPlan.plan("h1", List.of(booting), List.of(), up, T0, BEAT), Action.UpdateNode.class)
                .getFirst().node();
        String why = "the restart of container web is more than 30 s overdue";
        var stuck = new Observed(Map.of("n1", new Observed.Vm("n1", Observed.VmState.RUNNING, Optional.of("kn-n1"),
                Optional.of("10.1.0.5"), false, Optional.of(why))), Map.of());
        Instant later = T0.plusSeconds(10);
        List<HostAction> plan = HostPlan.plan("h1", List.of(ready), List.of(), stuck, later, BEAT);
        Node degraded = only(plan, Action.UpdateNode.class).getFirst().node();
        assertThat(only(plan, Action.UpdateNode.class)).hasSize(1);
        assertThat(degraded.status().lastHeartbeat()).as("no heartbeat").isEqualTo(ready.status().lastHeartbeat());
        assertThat(degraded.status().condition(HostPlan.AGENT_DEGRADED)).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo(Condition.TRUE);
            assertThat(c.message()).contains(why);
        });
        assertThat(only(plan, Action.Emit.class)).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("AgentDegraded");
            assertThat(e.type()).isEqualTo(EventType.WARNING);
            assertThat(e.message()).contains(why, "Suspect, then Lost");
        });
        assertThat(HostPlan.plan("h1", List.of(degraded), List.of(), stuck, later.plusSeconds(1), BEAT))
                .as("the same reason again: nothing new").isEmpty();

        List<HostAction> back = HostPlan.plan("h1", List.of(degraded), List.of(), up, later.plusSeconds(2), BEAT);
        assertThat(only(back, Action.UpdateNode.class)).singleElement().satisfies(u -> {
            assertThat(u.node().status().condition(HostPlan.AGENT_DEGRADED).orElseThrow().status())
                    .isEqualTo(Condition.FALSE);
            assertThat(u.node().status().lastHeartbeat()).contains(later.plusSeconds(2));
        });
        assertThat(only(back, Action.Emit.class)).isEmpty();
    }
}
