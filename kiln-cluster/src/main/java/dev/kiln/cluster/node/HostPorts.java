package dev.kiln.cluster.node;

import dev.kiln.cluster.model.ContainerPort;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster's host ports, as one host should forward them: a pure function from the store's nodes and pods.
 *
 * <p>A container port with a {@code hostPort} is published on every host of the cluster (like a Kubernetes
 * NodePort, not like a Kubernetes hostPort): each host listens on that port and sends each connection to one of the
 * Running pods that declare it, at the address of the pod's node VM (cluster-wide, over the overlay) and its
 * {@code containerPort}. A pod counts when it is Running on a Ready node that has an address. Backends on the asking
 * host come first ({@link Forward#local()}), the others after ({@link Forward#remote()}), each by pod name.
 *
 * <p>Only TCP is forwarded: a UDP host port is reported as a {@link Problem} and left out, as is a second
 * declaration of one host port in one pod with another container port (the first one counts). Pods of different
 * owners that declare one host port share its forward.
 */
public final class HostPorts {
    private HostPorts() {
    }

    /** One pod behind a host port: its node VM's address and the container port. */
    public record Backend(String pod, String host, String address, int port) {
    }

    /** One host port and its backends: those on the asking host, and those on other hosts. */
    public record Forward(int hostPort, List<Backend> local, List<Backend> remote) {
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

    /** A declaration that is not forwarded, and why. */
    public record Problem(int hostPort, String pod, String reason) {
    }

    /** The forwards by host port (ascending) and what was left out. */
    public record Plan(SortedMap<Integer, Forward> forwards, List<Problem> problems) {
        public Plan {
            forwards = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(forwards));
            problems = List.copyOf(problems);
        }
    }

    /** The forwards host {@code host} should hold for these nodes and pods. */
    public static Plan plan(String host, List<Node> nodes, List<Pod> pods) {
        Map<String, Node> byName = new HashMap<>();
        nodes.forEach(n -> byName.put(n.name(), n));
        Map<Integer, List<Backend>> local = new TreeMap<>();
        Map<Integer, List<Backend>> remote = new TreeMap<>();
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
            for (Map.Entry<Integer, Integer> e : tcpHostPorts(pod, problems).entrySet()) {
                Backend b = new Backend(pod.name(), on, address.get(), e.getValue());
                (on.equals(host) ? local : remote).computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(b);
            }
        }
        SortedMap<Integer, Forward> forwards = new TreeMap<>();
        for (Integer port : union(local, remote)) {
            forwards.put(port, new Forward(port, local.getOrDefault(port, List.of()),
                    remote.getOrDefault(port, List.of())));
        }
        return new Plan(forwards, problems);
    }

    /** A pod's TCP host ports → container port; its UDP ones and second declarations go to {@code problems}. */
    private static Map<Integer, Integer> tcpHostPorts(Pod pod, List<Problem> problems) {
        Map<Integer, Integer> ports = new TreeMap<>();
        for (ContainerTemplate c : pod.spec().containers()) {
            for (ContainerPort p : c.ports()) {
                if (p.hostPort().isEmpty()) {
                    continue;
                }
                int hostPort = p.hostPort().get();
                if (!p.protocol().equals(ContainerPort.TCP)) {
                    problems.add(new Problem(hostPort, pod.name(), "container " + c.name() + " declares hostPort "
                            + hostPort + " with protocol " + p.protocol() + ", but kiln forwards TCP host ports only"
                            + " (UDP is not supported); it is not forwarded"));
                    continue;
                }
                Integer before = ports.putIfAbsent(hostPort, p.containerPort());
                if (before != null && before != p.containerPort()) {
                    problems.add(new Problem(hostPort, pod.name(), "hostPort " + hostPort + " is declared twice in"
                            + " the pod, for container ports " + before + " and " + p.containerPort() + "; only "
                            + before + " is forwarded"));
                }
            }
        }
        return ports;
    }

    private static List<Integer> union(Map<Integer, ?> a, Map<Integer, ?> b) {
        TreeMap<Integer, Boolean> all = new TreeMap<>();
        a.keySet().forEach(k -> all.put(k, true));
        b.keySet().forEach(k -> all.put(k, true));
        return List.copyOf(all.keySet());
    }
}
