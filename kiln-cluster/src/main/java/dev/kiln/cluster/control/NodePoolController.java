package dev.kiln.cluster.control;

import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.NodePoolStatus;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps each NodePool's number of live Nodes at its replicas: creates Nodes when there are too few, deletes the
 * least useful when there are too many, deletes Lost nodes (their pods have been moved by {@link NodeHealth}), and
 * deletes nodes whose pool is gone. A pure plan: {@code plan(view)} changes nothing.
 */
public final class NodePoolController {
    static final String NAME = "nodepool-controller";
    private static final Set<NodePhase> GONE = Set.of(NodePhase.LOST, NodePhase.TERMINATING);

    private NodePoolController() {
    }

    public static List<Action> plan(ClusterView view) {
        List<Action> actions = new ArrayList<>();
        Map<String, List<Node>> byPool = new HashMap<>();
        for (Node n : view.nodes()) {
            byPool.computeIfAbsent(n.spec().pool(), k -> new ArrayList<>()).add(n);
        }
        Map<String, Long> podsPerNode = new HashMap<>();
        for (Pod p : view.pods()) {
            p.spec().nodeName().ifPresent(n -> podsPerNode.merge(n, 1L, Long::sum));
        }
        for (NodePool pool : view.pools()) {
            List<Node> nodes = byPool.getOrDefault(pool.name(), List.of());
            List<Node> live = nodes.stream().filter(n -> !GONE.contains(n.status().phase())).toList();
            for (Node n : nodes) {
                if (n.status().phase() == NodePhase.LOST) {
                    actions.add(new Action.DeleteNode(NAME, n, "it is lost (" + n.status().message().orElse("no "
                            + "heartbeat") + "); the pool replaces it"));
                }
            }
            int want = pool.spec().replicas();
            for (int i = live.size(); i < want; i++) {
                actions.add(new Action.CreateNode(NAME, pool.name() + "-", newNode(pool),
                        "pool " + pool.name() + " has " + live.size() + " of " + want + " nodes"));
            }
            if (live.size() > want) {
                live.stream().sorted(leastUseful(podsPerNode)).limit(live.size() - want)
                        .forEach(n -> actions.add(new Action.DeleteNode(NAME, n,
                                "pool " + pool.name() + " is scaled to " + want)));
            }
            int ready = (int) live.stream().filter(n -> n.status().phase() == NodePhase.READY).count();
            NodePoolStatus status = new NodePoolStatus(live.size(), ready,
                    Optional.of(pool.metadata().generation()));
            if (!status.equals(pool.status())) {
                actions.add(new Action.UpdatePoolStatus(NAME, pool.withStatus(status)));
            }
        }
        Set<String> pools = new java.util.HashSet<>(view.pools().stream().map(NodePool::name).toList());
        for (Node n : view.nodes()) {
            if (!pools.contains(n.spec().pool()) && n.status().phase() != NodePhase.LOST) {
                actions.add(new Action.DeleteNode(NAME, n, "its pool " + n.spec().pool() + " is gone"));
            }
        }
        return actions;
    }

    /** What a pool's new Node looks like: the pool's profile, driver and labels; no host yet. */
    static Node newNode(NodePool pool) {
        Map<String, String> labels = new HashMap<>(pool.spec().nodeLabels());
        labels.put(Labels.POOL, pool.name());
        NodeSpec spec = new NodeSpec(pool.name(), Optional.empty(), pool.spec().profile(), pool.spec().driver(),
                false);
        return Node.of(ObjectMeta.named(pool.name() + "-").withLabels(labels), spec);
    }

    /** Not ready before ready, then fewest pods, then the newest (highest name) first. */
    private static Comparator<Node> leastUseful(Map<String, Long> podsPerNode) {
        return Comparator.<Node>comparingInt(n -> n.status().phase() == NodePhase.READY ? 1 : 0)
                .thenComparingLong(n -> podsPerNode.getOrDefault(n.name(), 0L))
                .thenComparing(Node::name, Comparator.reverseOrder());
    }
}
