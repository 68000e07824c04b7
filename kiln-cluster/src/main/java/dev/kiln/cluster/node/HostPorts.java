package dev.kiln.cluster.node;

import dev.kiln.cluster.model.ContainerPort;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster's host ports, as one host should forward them: a pure function from the store's nodes and pods.
 *
 * <p>A container port with a {@code hostPort} is published on every host of the cluster (like a Kubernetes
 * NodePort, not like a Kubernetes hostPort): each host listens on that port and sends each connection (TCP) or
 * session (UDP) to one of the Running pods that declare it, at the pod's address (cluster-wide, over the overlay)
 * and its {@code containerPort}. A pod counts when it is Running on a Ready node that has an address. Backends on the
 * asking host come first ({@link Forward#local()}), the others after ({@link Forward#remote()}), each by pod name.
 *
 * <p>A host port is a number and a protocol ({@link Port}): TCP 53 and UDP 53 are two forwards. A second
 * declaration of one host port and protocol in one pod with another container port is reported as a {@link Problem}
 * and left out (the first one counts), as is a protocol kiln does not forward (validation admits only TCP and UDP).
 * Pods of different owners that declare one host port share its forward.
 */
public final class HostPorts {
    private HostPorts() {
    }

    /** The protocols a host port is forwarded for. */
    public enum Protocol {
        TCP, UDP;

        /** The protocol a container port names ({@code TCP} or {@code UDP}, as validation admits them). */
        static Optional<Protocol> named(String name) {
            return Arrays.stream(values()).filter(p -> p.name().equals(name)).findFirst();
        }
    }

    /** A host port: its number and protocol. Ordered by number, then TCP before UDP. */
    public record Port(int number, Protocol protocol) implements Comparable<Port> {
        private static final Comparator<Port> ORDER = Comparator.comparingInt(Port::number)
                .thenComparing(Port::protocol);

        public Port {
            Objects.requireNonNull(protocol, "protocol");
        }

        public static Port tcp(int number) {
            return new Port(number, Protocol.TCP);
        }

        public static Port udp(int number) {
            return new Port(number, Protocol.UDP);
        }

        @Override
        public int compareTo(Port other) {
            return ORDER.compare(this, other);
        }

        /** {@code 53/udp}, as {@code docker ps} writes it. */
        @Override
        public String toString() {
            return number + "/" + protocol.name().toLowerCase(Locale.ROOT);
        }
    }

    /** One pod behind a host port: its node VM's address and the container port. */
    public record Backend(String pod, String host, String address, int port) {
    }

    /** One host port and its backends: those on the asking host, and those on other hosts. */
    public record Forward(Port port, List<Backend> local, List<Backend> remote) {
        public Forward {
            local = List.copyOf(local);
            remote = List.copyOf(remote);
        }

        /** Every backend, local ones first. */
        public List<Backend> backends() {
            List<Backend> all = new ArrayList<>(local);
            all.addAll(remote);
            return all;
        }
    }

    /** A declaration that is not forwarded, and why (the reason names the protocol). */
    public record Problem(int hostPort, String pod, String reason) {
    }

    /** The forwards by host port (ascending, TCP before UDP) and what was left out. */
    public record Plan(SortedMap<Port, Forward> forwards, List<Problem> problems) {
        public Plan {
            forwards = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(forwards));
            problems = List.copyOf(problems);
        }
    }

    /** The forwards host {@code host} should hold for these nodes and pods. */
    public static Plan plan(String host, List<Node> nodes, List<Pod> pods) {
        Map<String, Node> byName = new HashMap<>();
        nodes.forEach(n -> byName.put(n.name(), n));
        Map<Port, List<Backend>> local = new TreeMap<>();
        Map<Port, List<Backend>> remote = new TreeMap<>();
        List<Problem> problems = new ArrayList<>();
        for (Pod pod : pods.stream().sorted(Comparator.comparing(Pod::name)).toList()) {
            if (pod.status().phase() != PodPhase.RUNNING) {
                continue;
            }
            Optional<Node> node = pod.spec().nodeName().map(byName::get);
            if (node.isEmpty() || node.get().status().phase() != NodePhase.READY
                    || node.get().spec().host().isEmpty()) {
                continue;
            }
            Optional<String> address = pod.status().podIP().or(() -> node.get().status().address());
            if (address.isEmpty()) {
                continue;
            }
            String on = node.get().spec().host().get();
            for (Map.Entry<Port, Integer> e : hostPorts(pod, problems).entrySet()) {
                Backend b = new Backend(pod.name(), on, address.get(), e.getValue());
                (on.equals(host) ? local : remote).computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(b);
            }
        }
        SortedMap<Port, Forward> forwards = new TreeMap<>();
        for (Port port : union(local, remote)) {
            forwards.put(port, new Forward(port, local.getOrDefault(port, List.of()),
                    remote.getOrDefault(port, List.of())));
        }
        return new Plan(forwards, problems);
    }

    /**
     * A pod's host ports → container port; second declarations of a port and protocol, and protocols kiln does not
     * forward, go to {@code problems}.
     */
    private static Map<Port, Integer> hostPorts(Pod pod, List<Problem> problems) {
        Map<Port, Integer> ports = new TreeMap<>();
        for (ContainerTemplate c : pod.spec().containers()) {
            for (ContainerPort p : c.ports()) {
                if (p.hostPort().isEmpty()) {
                    continue;
                }
                int hostPort = p.hostPort().get();
                Optional<Protocol> protocol = Protocol.named(p.protocol());
                if (protocol.isEmpty()) {
                    problems.add(new Problem(hostPort, pod.name(), "container " + c.name() + " declares hostPort "
                            + hostPort + " with protocol " + p.protocol() + ", but kiln forwards TCP and UDP host"
                            + " ports only; it is not forwarded"));
                    continue;
                }
                Port port = new Port(hostPort, protocol.get());
                Integer before = ports.putIfAbsent(port, p.containerPort());
                if (before != null && before != p.containerPort()) {
                    problems.add(new Problem(hostPort, pod.name(), "hostPort " + port + " is declared twice in"
                            + " the pod, for container ports " + before + " and " + p.containerPort() + "; only "
                            + before + " is forwarded"));
                }
            }
        }
        return ports;
    }

    private static List<Port> union(Map<Port, ?> a, Map<Port, ?> b) {
        TreeMap<Port, Boolean> all = new TreeMap<>();
        a.keySet().forEach(k -> all.put(k, true));
        b.keySet().forEach(k -> all.put(k, true));
        return List.copyOf(all.keySet());
    }
}
