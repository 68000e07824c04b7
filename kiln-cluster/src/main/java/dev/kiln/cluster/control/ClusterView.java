package dev.kiln.cluster.control;

import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The cluster as read at one moment: what the controllers plan from. Immutable; lists are sorted by name, so a
 * plan never depends on the order the store returned things in.
 */
public record ClusterView(List<Host> hosts, List<NodePool> pools, List<Node> nodes, List<Pod> pods,
                          List<Deployment> deployments) {
    public ClusterView {
        hosts = sorted(hosts, Host::name);
        pools = sorted(pools, NodePool::name);
        nodes = sorted(nodes, Node::name);
        pods = sorted(pods, Pod::name);
        deployments = sorted(deployments, Deployment::name);
    }

    public static ClusterView empty() {
        return new ClusterView(List.of(), List.of(), List.of(), List.of(), List.of());
    }

    private static <T> List<T> sorted(List<T> items, Function<T, String> name) {
        return items.stream().sorted(Comparator.comparing(name)).toList();
    }

    public Map<String, Node> nodesByName() {
        return nodes.stream().collect(Collectors.toMap(Node::name, n -> n));
    }

    public Map<String, Host> hostsByName() {
        return hosts.stream().collect(Collectors.toMap(Host::name, h -> h));
    }

    public Optional<NodePool> pool(String name) {
        return pools.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public ClusterView withHosts(List<Host> next) {
        return new ClusterView(next, pools, nodes, pods, deployments);
    }

    public ClusterView withPools(List<NodePool> next) {
        return new ClusterView(hosts, next, nodes, pods, deployments);
    }

    public ClusterView withNodes(List<Node> next) {
        return new ClusterView(hosts, pools, next, pods, deployments);
    }

    public ClusterView withPods(List<Pod> next) {
        return new ClusterView(hosts, pools, nodes, next, deployments);
    }

    public ClusterView withDeployments(List<Deployment> next) {
        return new ClusterView(hosts, pools, nodes, pods, next);
    }
}
