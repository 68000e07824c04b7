package dev.kiln.cluster.node;

import dev.kiln.cluster.control.Action;
import dev.kiln.cluster.model.Condition;
import dev.kiln.cluster.model.ContainerStatus;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one host does next, as a pure function of the Nodes bound to it, their Pods, and what its backend observes:
 * boot VMs for new Nodes, report boots, heartbeats and VMM exits (a Node whose VM is gone is Lost at once), start
 * the pods bound to its Ready Nodes and report their state, and remove every VM and pod the cluster no longer wants
 * there. It never starts a pod on a node that is not Ready, and it removes a pod from any node it is no longer bound
 * to, so that a pod runs in one place only.
 */
public final class HostPlan {
    static final String NAME = "host-runtime";
    private static final Set<NodePhase> ENDED = Set.of(NodePhase.LOST, NodePhase.TERMINATING);

    private HostPlan() {
    }

    public static List<HostAction> plan(String host, List<Node> allNodes, List<Pod> allPods, Observed seen,
                                        Instant now, Duration heartbeatEvery) {
        List<HostAction> actions = new ArrayList<>();
        Map<String, Node> mine = new HashMap<>();
        for (Node n : allNodes) {
            if (n.spec().host().equals(Optional.of(host))) {
                mine.put(n.name(), n);
            }
        }
        for (Observed.Vm vm : seen.vms().values()) {
            Node n = mine.get(vm.node());
            if (n == null) {
                actions.add(new HostAction.RemoveVm(vm.node(), "its node is no longer in the cluster or on this host"));
            } else if (ENDED.contains(n.status().phase())) {
                actions.add(new HostAction.RemoveVm(vm.node(), "its node is " + n.status().phase()));
            }
        }
        for (Node n : mine.values().stream().sorted(java.util.Comparator.comparing(Node::name)).toList()) {
            if (!ENDED.contains(n.status().phase())) {
                planNode(n, Optional.ofNullable(seen.vms().get(n.name())), now, heartbeatEvery, actions);
            }
        }
        planPods(mine, allPods, seen, now, actions);
        return actions;
    }

    /**
     * What the host does when its backend reports at once that the VM of {@code node} ended: the node is Lost, if it
     * is this host's and has not ended already (the runtime's own removals of Lost and deleted nodes' VMs are
     * reported too, and change nothing). Its VM is removed by the next pass, as for any Lost node.
     */
    public static List<HostAction> vmEnded(String host, Optional<Node> node, String why) {
        if (node.isEmpty() || !node.get().spec().host().equals(Optional.of(host))
                || ENDED.contains(node.get().status().phase())) {
            return List.of();
        }
        List<HostAction> actions = new ArrayList<>();
        lost(node.get(), "its microVM ended: " + why, actions);
        return actions;
    }

    /** The node condition that records when its guest agent started (a later time: it restarted). */
    public static final String AGENT_STARTED = "AgentStarted";
    /** Condition: the guest agent answers but says it no longer looks after its containers (True), or does again. */
    public static final String AGENT_DEGRADED = "AgentDegraded";

    private static Condition agentStarted(Instant at) {
        return new Condition(AGENT_STARTED, Condition.TRUE, Optional.of("AgentStarted"),
                Optional.of("the guest agent's process started at " + at), at);
    }

    /**
     * The agent answers but reports that its container supervision is stuck: the answer counts as no heartbeat, and
     * the node gets condition {@value #AGENT_DEGRADED} and a Warning event once per reason.
     */
    private static void degraded(Node n, Observed.Vm v, String why, Instant now, List<HostAction> actions) {
        boolean known = n.status().condition(AGENT_DEGRADED).filter(c -> c.status().equals(Condition.TRUE))
                .flatMap(Condition::message).equals(Optional.of(why));
        if (known || ENDED.contains(n.status().phase())) {
            return;
        }
        actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(n.status().withCondition(
                new Condition(AGENT_DEGRADED, Condition.TRUE, Optional.of("SupervisionStuck"), Optional.of(why),
                        now))), "its guest agent is degraded")));
        actions.add(new HostAction.Write(new Action.Emit(NAME, n, EventType.WARNING, "AgentDegraded",
                "the guest agent of microVM " + v.vmName().orElse("?") + " answers but reports: " + why
                        + "; its answers do not count as heartbeats, so the node turns Suspect, then Lost")));
    }

    private static NodeStatus status(Node n, NodePhase phase, Optional<String> message) {
        NodeStatus s = n.status();
        return new NodeStatus(phase, s.vm(), s.address(), s.lastHeartbeat(), s.allocatable(), s.conditions(), message);
    }

    private static void lost(Node n, String why, List<HostAction> actions) {
        actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(status(n, NodePhase.LOST,
                Optional.of(why))), why)));
        actions.add(new HostAction.Write(new Action.Emit(NAME, n, EventType.WARNING, "NodeLost", why)));
    }

    private static void planNode(Node n, Optional<Observed.Vm> vm, Instant now, Duration heartbeatEvery,
                                 List<HostAction> actions) {
        NodePhase phase = n.status().phase();
        if (vm.isEmpty()) {
            if (phase == NodePhase.PENDING) {
                actions.add(new HostAction.StartVm(n));
                actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(status(n, NodePhase.BOOTING,
                        Optional.of("booting a microVM"))), "booting")));
                actions.add(new HostAction.Write(new Action.Emit(NAME, n, EventType.NORMAL, "Booting",
                        "booting a microVM for node " + n.name())));
            } else {
                lost(n, "its microVM is gone (the VMM exited)", actions);
            }
            return;
        }
        Observed.Vm v = vm.get();
        switch (v.state()) {
            case FAILED -> {
                lost(n, v.message().orElse("its microVM failed"), actions);
                actions.add(new HostAction.RemoveVm(n.name(), "it failed"));
            }
            case BOOTING -> {
                if (phase == NodePhase.PENDING) {
                    actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(status(n,
                            NodePhase.BOOTING, Optional.of("booting a microVM"))), "booting")));
                }
            }
            case RUNNING -> {
                if (!v.healthy()) {
                    // no heartbeat: node health makes it Suspect, then Lost; an agent that said why is recorded
                    v.message().ifPresent(why -> degraded(n, v, why, now, actions));
                    return;
                }
                Optional<Condition> recovered = n.status().condition(AGENT_DEGRADED)
                        .filter(c -> c.status().equals(Condition.TRUE))
                        .map(c -> new Condition(AGENT_DEGRADED, Condition.FALSE, Optional.of("SupervisionWorks"),
                                Optional.of("the guest agent looks after its containers again"), now));
                if (phase == NodePhase.PENDING || phase == NodePhase.BOOTING) {
                    NodeStatus s = n.status();
                    NodeStatus ready = new NodeStatus(NodePhase.READY, v.vmName(), v.address(), Optional.of(now),
                            n.spec().profile().resources(), s.conditions(), Optional.of("ready"));
                    if (v.agentStartedAt().isPresent()) {
                        ready = ready.withCondition(agentStarted(v.agentStartedAt().get()));
                    }
                    if (recovered.isPresent()) {
                        ready = ready.withCondition(recovered.get());
                    }
                    actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(ready),
                            "its microVM booted and its agent answers")));
                    actions.add(new HostAction.Write(new Action.Emit(NAME, n, EventType.NORMAL, "NodeReady",
                            "microVM " + v.vmName().orElse("?") + " at " + v.address().orElse("?") + " is ready")));
                } else {
                    Optional<Instant> known = n.status().condition(AGENT_STARTED).map(Condition::lastTransitionTime);
                    boolean news = v.agentStartedAt().isPresent() && !v.agentStartedAt().equals(known);
                    if (news || recovered.isPresent()
                            || n.status().lastHeartbeat().map(t -> !t.plus(heartbeatEvery).isAfter(now)).orElse(true)) {
                        NodeStatus next = n.status().withLastHeartbeat(now);
                        if (news) {
                            next = next.withCondition(agentStarted(v.agentStartedAt().get()));
                        }
                        if (recovered.isPresent()) {
                            next = next.withCondition(recovered.get());
                        }
                        actions.add(new HostAction.Write(new Action.UpdateNode(NAME, n.withStatus(next),
                                news ? "its guest agent started" : recovered.isPresent() ? "its guest agent recovered"
                                        : "heartbeat")));
                    }
                    if (news && known.isPresent()) {
                        actions.add(new HostAction.Write(new Action.Emit(NAME, n, EventType.WARNING, "AgentRestarted",
                                "the guest agent of microVM " + v.vmName().orElse("?") + " restarted at "
                                        + v.agentStartedAt().get() + " (it had started at " + known.get()
                                        + "); the new agent took over the containers")));
                    }
                }
            }
        }
    }

    private static void planPods(Map<String, Node> mine, List<Pod> allPods, Observed seen, Instant now,
                                 List<HostAction> actions) {
        Map<String, Pod> bound = new HashMap<>();
        for (Pod p : allPods) {
            if (p.spec().nodeName().map(mine::containsKey).orElse(false)) {
                bound.put(p.name(), p);
            }
        }
        // what runs where it should not: not bound here any more, or an older pod of the same name
        seen.pods().forEach((node, runs) -> runs.values().forEach(run -> {
            Pod p = bound.get(run.pod());
            boolean stays = p != null && p.spec().nodeName().equals(Optional.of(node))
                    && p.metadata().uid().equals(Optional.of(run.uid()))
                    && mine.containsKey(node) && !ENDED.contains(mine.get(node).status().phase());
            if (!stays) {
                actions.add(new HostAction.RemovePod(node, run.pod(), p == null ? "the pod is gone or bound elsewhere"
                        : "the pod was replaced or its node ended"));
            }
        }));
        for (Pod p : bound.values().stream().sorted(java.util.Comparator.comparing(Pod::name)).toList()) {
            String node = p.spec().nodeName().get();
            Node n = mine.get(node);
            Observed.PodRun run = seen.podsOn(node).get(p.name());
            if (run != null && !p.metadata().uid().equals(Optional.of(run.uid()))) {
                continue; // the old one is removed first
            }
            if (run == null) {
                if (n.status().phase() == NodePhase.READY && seen.vms().containsKey(node)
                        && p.status().phase() != PodPhase.SUCCEEDED && p.status().phase() != PodPhase.FAILED) {
                    actions.add(new HostAction.StartPod(node, p));
                }
                continue;
            }
            PodStatus next = observedStatus(p, node, run, seen.vms().get(node), now);
            if (!next.equals(p.status())) {
                actions.add(new HostAction.Write(new Action.UpdatePod(NAME, p.withStatus(next),
                        "its containers are " + run.state().name().toLowerCase())));
            }
        }
    }

    private static PodStatus observedStatus(Pod p, String node, Observed.PodRun run, Observed.Vm vm, Instant now) {
        PodPhase phase = switch (run.state()) {
            case STARTING -> PodPhase.SCHEDULED;
            case RUNNING -> PodPhase.RUNNING;
            case SUCCEEDED -> PodPhase.SUCCEEDED;
            case FAILED -> PodPhase.FAILED;
        };
        Optional<Instant> started = p.status().startTime()
                .or(() -> phase == PodPhase.RUNNING ? Optional.of(now) : Optional.empty());
        List<ContainerStatus> containers = run.containers();
        return new PodStatus(phase, Optional.of(node), run.message().map(m -> phase.name().charAt(0)
                + phase.name().substring(1).toLowerCase()), run.message(),
                run.address().or(() -> vm == null ? Optional.empty() : vm.address()), started, containers);
    }
}
