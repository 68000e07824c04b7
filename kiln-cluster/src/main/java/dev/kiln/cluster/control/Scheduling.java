package dev.kiln.cluster.control;

import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodStatus;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.sched.Bin;
import dev.kiln.cluster.sched.Capacity;
import dev.kiln.cluster.sched.Item;
import dev.kiln.cluster.sched.Placement;
import dev.kiln.cluster.sched.Scheduler;
import dev.kiln.cluster.sched.Snapshot;
import dev.kiln.cluster.sched.Unschedulable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Binding: Nodes to Hosts and Pods to Nodes, both through the pure {@link Scheduler}. This class only translates the
 * cluster view into the scheduler's snapshot and its placement into actions. An item that cannot be placed gets
 * the scheduler's reason in its status and one Warning event (again only when the reason changes).
 */
public final class Scheduling {
    static final String NAME = "scheduler";
    static final String UNSCHEDULABLE = "Unschedulable";

    private Scheduling() {
    }

    public static List<Action> plan(ClusterView view) {
        List<Action> actions = new ArrayList<>();
        placeNodes(view, actions);
        placePods(view, actions);
        return actions;
    }

    private static Capacity capacity(Resources r) {
        return Capacity.of(r.cpuMillis(), r.memoryBytes());
    }

    private static void placeNodes(ClusterView view, List<Action> actions) {
        List<Node> waiting = view.nodes().stream()
                .filter(n -> n.spec().host().isEmpty() && n.status().phase() == NodePhase.PENDING).toList();
        if (waiting.isEmpty()) {
            return;
        }
        List<Bin> bins = view.hosts().stream().map(h -> Bin.of(h.name(), capacity(h.spec().capacity()))
                .withLabels(h.metadata().labels()).withSchedulable(h.status().phase() == HostPhase.READY)).toList();
        Map<String, Map<String, String>> selectors = new HashMap<>();
        for (NodePool p : view.pools()) {
            selectors.put(p.name(), p.spec().hostSelector());
        }
        List<Item> items = new ArrayList<>();
        for (Node n : view.nodes()) {
            if (n.status().phase() == NodePhase.LOST) {
                continue;
            }
            Item item = Item.of(n.name(), capacity(n.spec().profile().resources()), n.spec().pool())
                    .withSelector(selectors.getOrDefault(n.spec().pool(), Map.of()));
            items.add(n.spec().host().map(item::boundTo).orElse(item));
        }
        Placement placement = Scheduler.forHosts().place(new Snapshot(bins, items));
        for (Node n : waiting) {
            Optional<String> host = placement.binOf(n.name());
            if (host.isPresent()) {
                Map<String, String> labels = new HashMap<>(n.metadata().labels());
                labels.put(Labels.HOST, host.get());
                actions.add(new Action.BindNode(NAME, n.withMetadata(n.metadata().withLabels(labels))
                        .withSpec(n.spec().withHost(host.get())), host.get()));
                continue;
            }
            Optional<Unschedulable> why = placement.reasonFor(n.name());
            if (why.isPresent() && !n.status().message().equals(Optional.of(why.get().reason()))) {
                NodeStatus s = n.status();
                actions.add(new Action.UpdateNode(NAME, n.withStatus(new NodeStatus(s.phase(), s.vm(), s.address(),
                        s.lastHeartbeat(), s.allocatable(), s.conditions(), Optional.of(why.get().reason()))),
                        why.get().reason()));
                actions.add(new Action.Emit(NAME, n, EventType.WARNING, "FailedScheduling", why.get().reason()));
            }
        }
    }

    /**
     * The ports a pod takes in its node VM's network: a {@code hostNetwork} pod's declared container ports (two such
     * pods with a port in common never share a node); none for a pod with an address of its own.
     */
    static java.util.Set<Integer> ports(Pod p) {
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        if (!p.spec().hostNetwork()) {
            return ports;
        }
        p.spec().containers().forEach(c -> c.ports().forEach(port -> ports.add(port.containerPort())));
        return ports;
    }

    /** The spread group of a pod: its deployment, so that replicas spread; a lone pod is its own group. */
    static String group(Pod p) {
        String d = p.metadata().labels().get(Labels.DEPLOYMENT);
        return d != null ? "deployment/" + d : "pod/" + p.name();
    }

    private static void placePods(ClusterView view, List<Action> actions) {
        List<Pod> waiting = view.pods().stream()
                .filter(p -> p.spec().nodeName().isEmpty() && !NodeHealth.finished(p)).toList();
        if (waiting.isEmpty()) {
            return;
        }
        List<Bin> bins = new ArrayList<>();
        for (Node n : view.nodes()) {
            if (n.status().phase() == NodePhase.LOST) {
                continue;
            }
            Resources total = n.status().allocatable().equals(Resources.ZERO) ? n.spec().profile().resources()
                    : n.status().allocatable();
            Bin bin = Bin.of(n.name(), capacity(total)).withLabels(n.metadata().labels())
                    .withSchedulable(n.status().phase() == NodePhase.READY && !n.spec().unschedulable());
            bins.add(n.spec().host().map(bin::inDomain).orElse(bin));
        }
        List<Item> items = new ArrayList<>();
        for (Pod p : view.pods()) {
            if (NodeHealth.finished(p)) {
                continue;
            }
            Item item = Item.of(p.name(), capacity(p.requests()), group(p)).withSelector(p.spec().nodeSelector())
                    .withPorts(ports(p));
            items.add(p.spec().nodeName().map(item::boundTo).orElse(item));
        }
        Placement placement = Scheduler.forNodes().place(new Snapshot(bins, items));
        List<Node> booting = view.nodes().stream().filter(n -> !n.spec().unschedulable()
                && (n.status().phase() == NodePhase.PENDING || n.status().phase() == NodePhase.BOOTING)).toList();
        Map<String, Integer> groupOnNode = new HashMap<>();
        for (Pod p : view.pods()) {
            if (!NodeHealth.finished(p)) {
                p.spec().nodeName().ifPresent(n -> groupOnNode.merge(group(p) + "@" + n, 1, Integer::sum));
            }
        }
        for (Pod p : waiting) {
            Optional<String> node = placement.binOf(p.name());
            boolean displaced = p.status().reason().equals(Optional.of("NodeLost"));
            if (node.isPresent() && !displaced && groupOnNode.getOrDefault(group(p) + "@" + node.get(), 0) > 0) {
                // a replica is on that node already; a node that is still booting would spread them better (a pod
                // whose node was lost does not wait: running somewhere now matters more than spreading)
                List<String> soon = booting.stream().filter(n -> n.metadata().labels().entrySet()
                        .containsAll(p.spec().nodeSelector().entrySet())).map(Node::name).toList();
                if (!soon.isEmpty()) {
                    String why = "waiting for node(s) " + String.join(", ", soon) + " to boot, to spread the replicas";
                    if (!p.status().message().equals(Optional.of(why))) {
                        actions.add(new Action.UpdatePod(NAME, p.withStatus(new PodStatus(PodPhase.PENDING,
                                Optional.empty(), Optional.of("WaitingForNodes"), Optional.of(why), Optional.empty(),
                                p.status().startTime(), List.of())), why));
                    }
                    continue;
                }
            }
            if (node.isPresent()) {
                groupOnNode.merge(group(p) + "@" + node.get(), 1, Integer::sum);
                PodStatus s = p.status();
                Pod bound = p.withSpec(p.spec().withNodeName(node.get())).withStatus(new PodStatus(PodPhase.SCHEDULED,
                        node, Optional.empty(), Optional.empty(), Optional.empty(), s.startTime(), List.of()));
                actions.add(new Action.BindPod(NAME, bound, node.get()));
                actions.add(new Action.Emit(NAME, p, EventType.NORMAL, "Scheduled", "placed on node " + node.get()));
                continue;
            }
            Optional<Unschedulable> why = placement.reasonFor(p.name());
            if (why.isPresent() && !(p.status().reason().equals(Optional.of(UNSCHEDULABLE))
                    && p.status().message().equals(Optional.of(why.get().reason())))) {
                PodStatus s = p.status();
                actions.add(new Action.UpdatePod(NAME, p.withStatus(new PodStatus(PodPhase.PENDING, Optional.empty(),
                        Optional.of(UNSCHEDULABLE), Optional.of(why.get().reason()), Optional.empty(),
                        s.startTime(), List.of())), why.get().reason()));
                actions.add(new Action.Emit(NAME, p, EventType.WARNING, "FailedScheduling", why.get().reason()));
            }
        }
    }
}
