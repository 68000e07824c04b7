package dev.kiln.host.cluster;

import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.node.HostPorts;
import dev.kiln.cluster.node.HostRuntime;
import dev.kiln.host.HostException;
import dev.kiln.host.PortForwarder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * This host's end of the cluster's host ports: after each pass of the host runtime it makes the host's forwards
 * (owner {@value #OWNER}, in the daemon's {@link PortForwarder}, beside the containers' {@code -p} forwards) equal
 * to {@link HostPorts#plan}, TCP and UDP alike: new ports are opened, the backends of open ones replaced in place,
 * ports no Running pod declares any more closed. A port another program holds is warned about once (log, and a
 * Warning Event on the pods behind it), left alone and tried again on every pass. What the plan leaves out (a port
 * declared twice in a pod) is warned about once too. {@link #close()} closes every cluster port: the host leaves the
 * cluster or the daemon stops.
 */
final class ClusterPorts implements HostRuntime.PassListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPorts.class);
    /** The owner of the cluster's forwards; not a valid container name, so never a container's. */
    static final String OWNER = "cluster:host-ports";

    /** Where warnings about pods go (the store's events). */
    @FunctionalInterface
    interface Warnings {
        void warn(Pod pod, String reason, String message);
    }

    private final PortForwarder forwarder;
    private final String host;
    private final Warnings warnings;
    /** Problems of the plan already reported: pod/port/reason. */
    private final Set<String> reported = new HashSet<>();
    /** Ports that failed to open, with why (reported once until it changes). */
    private final Map<HostPorts.Port, String> refused = new HashMap<>();
    private boolean closed;

    ClusterPorts(PortForwarder forwarder, String host, Warnings warnings) {
        this.forwarder = forwarder;
        this.host = host;
        this.warnings = warnings;
    }

    @Override
    public void passed(List<Node> nodes, List<Pod> pods) {
        reconcile(HostPorts.plan(host, nodes, pods), pods);
    }

    /** Makes this host's cluster forwards those of {@code plan}; {@code pods} are whom warnings are about. */
    synchronized void reconcile(HostPorts.Plan plan, List<Pod> pods) {
        if (closed) {
            return;
        }
        Map<String, Pod> byName = pods.stream().collect(Collectors.toMap(Pod::name, p -> p, (a, b) -> a));
        Set<String> problems = new HashSet<>();
        for (HostPorts.Problem p : plan.problems()) {
            String key = p.pod() + "/" + p.hostPort() + "/" + p.reason();
            problems.add(key);
            if (reported.add(key)) {
                LOG.warn("host port {} of pod {}: {}", p.hostPort(), p.pod(), p.reason());
                if (byName.containsKey(p.pod())) {
                    warnings.warn(byName.get(p.pod()), "HostPortNotForwarded", p.reason());
                }
            }
        }
        reported.retainAll(problems);

        Map<HostPorts.Port, PortForwarder.Targets> want = new TreeMap<>();
        plan.forwards().forEach((port, f) -> want.put(port, new PortForwarder.Targets(targets(f.local()),
                targets(f.remote()))));
        Set<HostPorts.Port> have = open();
        for (HostPorts.Port port : have) {
            if (!want.containsKey(port)) {
                forwarder.close(OWNER, protocol(port), port.number());
            }
        }
        refused.keySet().retainAll(want.keySet());
        want.forEach((port, targets) -> {
            if (have.contains(port)) {
                forwarder.retarget(OWNER, protocol(port), port.number(), targets);
                return;
            }
            try {
                forwarder.open(List.of(new PortForwarder.Forward(OWNER, protocol(port), port.number(), targets)));
                if (refused.remove(port) != null) {
                    LOG.info("host port {} is free again: the cluster's forward is open", port);
                }
            } catch (HostException e) {
                String why = e.getMessage();
                if (!why.equals(refused.put(port, why))) {
                    String message = "host " + host + " cannot forward host port " + port + ": " + why
                            + "; it tries again every pass";
                    LOG.warn(message);
                    for (HostPorts.Backend b : plan.forwards().get(port).backends()) {
                        if (byName.containsKey(b.pod())) {
                            warnings.warn(byName.get(b.pod()), "HostPortInUse", message);
                        }
                    }
                }
            }
        });
    }

    private static PortForwarder.Protocol protocol(HostPorts.Port port) {
        return switch (port.protocol()) {
            case TCP -> PortForwarder.Protocol.TCP;
            case UDP -> PortForwarder.Protocol.UDP;
        };
    }

    private static HostPorts.Port port(PortForwarder.Forward f) {
        return switch (f.protocol()) {
            case TCP -> HostPorts.Port.tcp(f.hostPort());
            case UDP -> HostPorts.Port.udp(f.hostPort());
        };
    }

    private static List<PortForwarder.Target> targets(List<HostPorts.Backend> backends) {
        return backends.stream().map(b -> new PortForwarder.Target(b.address(), b.port())).toList();
    }

    /** The host ports this host now forwards for the cluster, in order (30053/tcp before 30053/udp). */
    SortedSet<HostPorts.Port> open() {
        return forwarder.forwards().stream().filter(f -> f.owner().equals(OWNER)).map(ClusterPorts::port)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Closes every cluster port; later passes open nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        forwarder.close(OWNER);
    }
}
