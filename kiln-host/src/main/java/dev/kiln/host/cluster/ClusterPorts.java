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
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * This host's end of the cluster's host ports: after each pass of the host runtime it makes the host's forwards
 * (owner {@value #OWNER}, in the daemon's {@link PortForwarder}, beside the containers' {@code -p} forwards) equal
 * to {@link HostPorts#plan}: new ports are opened, the backends of open ones replaced in place, ports no Running
 * pod declares any more closed. A port another program holds is warned about once (log, and a Warning Event on the
 * pods behind it), left alone and tried again on every pass. {@link #close()} closes every cluster port: the host
 * leaves the cluster or the daemon stops.
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
    private final Map<Integer, String> refused = new HashMap<>();
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

        Map<Integer, PortForwarder.Targets> want = new TreeMap<>();
        plan.forwards().forEach((port, f) -> want.put(port, new PortForwarder.Targets(targets(f.local()),
                targets(f.remote()))));
        Set<Integer> have = forwarder.forwards().stream().filter(f -> f.owner().equals(OWNER))
                .map(PortForwarder.Forward::hostPort).collect(Collectors.toSet());
        for (int port : have) {
            if (!want.containsKey(port)) {
                forwarder.close(OWNER, PortForwarder.Protocol.TCP, port);
            }
        }
        refused.keySet().retainAll(want.keySet());
        want.forEach((port, targets) -> {
            if (have.contains(port)) {
                forwarder.retarget(OWNER, PortForwarder.Protocol.TCP, port, targets);
                return;
            }
            try {
                forwarder.open(List.of(new PortForwarder.Forward(OWNER, port, targets)));
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

    private static List<PortForwarder.Target> targets(List<HostPorts.Backend> backends) {
        return backends.stream().map(b -> new PortForwarder.Target(b.address(), b.port())).toList();
    }

    /** The host ports this host now forwards for the cluster. */
    Set<Integer> open() {
        return forwarder.forwards().stream().filter(f -> f.owner().equals(OWNER))
                .map(PortForwarder.Forward::hostPort).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Closes every cluster port; later passes open nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        forwarder.close(OWNER);
    }
}
