package dev.kiln.cli;

import dev.kiln.cluster.model.ContainerStatus;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Quantity;
import dev.kiln.cluster.model.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The text tables of {@code kiln get}: one layout per kind, and a wider one with {@code -o wide}. */
final class ClusterTables {
    private ClusterTables() {
    }

    static String render(Kind kind, List<Resource> items, boolean wide, Map<String, Node> nodes, Instant now) {
        Table t = header(kind, wide);
        for (Resource r : items) {
            t.row(row(r, wide, nodes, now));
        }
        return t.render();
    }

    static Table header(Kind kind, boolean wide) {
        return switch (kind) {
            case HOST -> wide ? new Table("NAME", "STATUS", "CPU", "MEMORY", "ALLOCATED", "ADDRESS", "API", "SUBNET",
                    "CLUSTER CIDR", "HEARTBEAT", "AGE")
                    : new Table("NAME", "STATUS", "CPU", "MEMORY", "AGE");
            case NODE_POOL -> new Table("NAME", "REPLICAS", "READY", "CPUS", "MEMORY", "DRIVER", "AGE");
            case NODE -> wide ? new Table("NAME", "STATUS", "POOL", "HOST", "VM", "ADDRESS", "CPUS", "MEMORY",
                    "HEARTBEAT", "AGE") : new Table("NAME", "STATUS", "POOL", "HOST", "AGE");
            case POD -> wide ? new Table("NAME", "STATUS", "RESTARTS", "NODE", "VM", "IP", "HOST", "AGE")
                    : new Table("NAME", "STATUS", "RESTARTS", "NODE", "AGE");
            case DEPLOYMENT -> new Table("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE");
            case EVENT -> new Table("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE");
        };
    }

    static String[] row(Resource r, boolean wide, Map<String, Node> nodes, Instant now) {
        String age = age(r.metadata().creationTimestamp(), now);
        return switch (r) {
            case Host h -> wide ? new String[]{h.name(), label(h.status().phase()),
                    Quantity.formatCpu(h.spec().capacity().cpuMillis()),
                    Quantity.formatMemory(h.spec().capacity().memoryBytes()), h.status().allocated().toString(),
                    h.spec().address(), h.spec().apiPort() > 0 ? Integer.toString(h.spec().apiPort()) : "-",
                    h.spec().subnet().isEmpty() ? "<none>" : h.spec().subnet(),
                    h.spec().clusterCidr().isEmpty() ? "<none>" : h.spec().clusterCidr(),
                    age(h.status().lastHeartbeat(), now), age}
                    : new String[]{h.name(), label(h.status().phase()),
                    Quantity.formatCpu(h.spec().capacity().cpuMillis()),
                    Quantity.formatMemory(h.spec().capacity().memoryBytes()), age};
            case NodePool p -> new String[]{p.name(), Integer.toString(p.spec().replicas()),
                    p.status().readyReplicas() + "/" + p.spec().replicas(), Integer.toString(p.spec().profile().cpus()),
                    Quantity.formatMemory(p.spec().profile().memoryBytes()), p.spec().driver(), age};
            case Node n -> wide ? new String[]{n.name(), label(n.status().phase()), n.spec().pool(),
                    n.spec().host().orElse("<none>"), n.status().vm().orElse("<none>"),
                    n.status().address().orElse("<none>"), Integer.toString(n.spec().profile().cpus()),
                    Quantity.formatMemory(n.spec().profile().memoryBytes()), age(n.status().lastHeartbeat(), now), age}
                    : new String[]{n.name(), label(n.status().phase()), n.spec().pool(),
                    n.spec().host().orElse("<none>"), age};
            case Pod p -> {
                String node = p.spec().nodeName().orElse("<none>");
                int restarts = p.status().containerStatuses().stream().mapToInt(ContainerStatus::restartCount).sum();
                String status = p.status().reason().filter(x -> p.status().phase().name().equals("PENDING"))
                        .orElse(label(p.status().phase()));
                Optional<Node> n = Optional.ofNullable(nodes.get(node));
                yield wide ? new String[]{p.name(), status, Integer.toString(restarts), node,
                        n.flatMap(x -> x.status().vm()).orElse("<none>"), p.status().podIP().orElse("<none>"),
                        n.flatMap(x -> x.spec().host()).orElse("<none>"), age}
                        : new String[]{p.name(), status, Integer.toString(restarts), node, age};
            }
            case Deployment d -> new String[]{d.name(), d.status().readyReplicas() + "/" + d.spec().replicas(),
                    Integer.toString(d.status().updatedReplicas()), Integer.toString(d.status().availableReplicas()),
                    age};
            case Event e -> new String[]{age(Optional.of(e.lastTimestamp()), now), label(e.type()), e.reason(),
                    e.involvedObject().kind().manifestName().toLowerCase() + "/" + e.involvedObject().name(),
                    Integer.toString(e.count()), e.message()};
        };
    }

    /** {@code READY} → {@code Ready}. */
    static String label(Enum<?> e) {
        String s = e.name().toLowerCase().replace('_', ' ');
        StringBuilder out = new StringBuilder();
        boolean up = true;
        for (char c : s.toCharArray()) {
            if (c == ' ') {
                up = true;
                continue;
            }
            out.append(up ? Character.toUpperCase(c) : c);
            up = false;
        }
        return out.toString();
    }

    static String age(Optional<Instant> since, Instant now) {
        if (since.isEmpty()) {
            return "<never>";
        }
        Duration d = Duration.between(since.get(), now);
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        long s = d.toSeconds();
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m";
        if (s < 172800) return (s / 3600) + "h";
        return (s / 86400) + "d";
    }
}
