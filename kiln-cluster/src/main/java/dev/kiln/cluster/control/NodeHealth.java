package dev.kiln.cluster.control;

import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Failure detection, in Curator's terms: a late heartbeat makes a Node (or Host) Suspect, which takes no new work
 * but keeps what it runs; past the grace period it is Lost. A node whose host is silent as well stays Suspect: its
 * heartbeats come through its host, so the host's (longer) grace period decides, and a host cut off from the store
 * removes its own VMs before that ends (see {@code HostRuntime#fenceIfCutOff}). A Node is also Lost when its Host is lost or gone, and
 * when it does not boot in time; a VMM exit is reported as Lost by the host at once. The pods of a lost or vanished
 * Node are unbound and go back to Pending, so the scheduler places them again: a pod keeps its name and never runs
 * in two places, because a Lost node is never Ready again (its pool deletes it and its host removes its VM).
 */
public final class NodeHealth {
    static final String NAME = "node-health";

    private NodeHealth() {
    }

    public static List<Action> plan(ClusterView view, Instant now, ControlConfig config) {
        return plan(view, now, config, Instant.MIN);
    }

    /**
     * As {@link #plan(ClusterView, Instant, ControlConfig)}, for a control plane watching since {@code since}:
     * silence before then is not held against a node or host (heartbeats could not be seen while the control plane
     * or its store was down, so after a restart every node gets its full grace period again).
     */
    public static List<Action> plan(ClusterView view, Instant now, ControlConfig config, Instant since) {
        List<Action> actions = new ArrayList<>();
        Map<String, HostPhase> hostPhase = new HashMap<>();
        for (Host h : view.hosts()) {
            HostPhase next = hostPhase(h, now, config, since);
            hostPhase.put(h.name(), next);
            if (next != h.status().phase()) {
                String why = "last heartbeat " + age(h.status().lastHeartbeat(), now) + " ago";
                HostStatus s = h.status();
                actions.add(new Action.UpdateHost(NAME, h.withStatus(new HostStatus(next, s.lastHeartbeat(),
                        s.allocated(), Optional.of(why), s.leaseId())), why));
                actions.add(new Action.Emit(NAME, h, EventType.WARNING, "Host" + label(next), "host " + h.name()
                        + " is " + label(next).toLowerCase() + ": " + why));
            }
        }
        Map<String, NodePhase> nodePhase = new HashMap<>();
        for (Node n : view.nodes()) {
            Verdict v = nodeVerdict(n, hostPhase, now, config, since);
            nodePhase.put(n.name(), v.phase());
            if (v.phase() != n.status().phase()) {
                NodeStatus s = n.status();
                NodeStatus next = new NodeStatus(v.phase(), s.vm(), s.address(), s.lastHeartbeat(), s.allocatable(),
                        s.conditions(), Optional.of(v.why()));
                actions.add(new Action.UpdateNode(NAME, n.withStatus(next), v.why()));
                actions.add(new Action.Emit(NAME, n, v.phase() == NodePhase.READY ? EventType.NORMAL
                        : EventType.WARNING, "Node" + label(v.phase()), v.why()));
            }
        }
        for (Pod p : view.pods()) {
            if (p.spec().nodeName().isEmpty() || finished(p)) {
                continue;
            }
            String node = p.spec().nodeName().get();
            NodePhase phase = nodePhase.get(node);
            if (phase == null || phase == NodePhase.LOST) {
                String why = phase == null ? "its node " + node + " is gone" : "its node " + node + " is lost";
                PodSpec s = p.spec();
                Pod unbound = p.withSpec(new PodSpec(s.containers(), s.restartPolicy(), s.nodeSelector(),
                        Optional.empty(), s.hostNetwork())).withStatus(new PodStatus(PodPhase.PENDING, Optional.empty(),
                        Optional.of("NodeLost"), Optional.of(why + "; waiting to be placed again"), Optional.empty(),
                        Optional.empty(), List.of()));
                actions.add(new Action.UpdatePod(NAME, unbound, why));
                actions.add(new Action.Emit(NAME, p, EventType.WARNING, "Rescheduling", why
                        + "; the pod will run on another node"));
            }
        }
        return actions;
    }

    static boolean finished(Pod p) {
        return p.status().phase() == PodPhase.SUCCEEDED || p.status().phase() == PodPhase.FAILED;
    }

    private record Verdict(NodePhase phase, String why) {
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Verdict nodeVerdict(Node n, Map<String, HostPhase> hosts, Instant now, ControlConfig config,
                                       Instant since) {
        NodePhase phase = n.status().phase();
        String keep = n.status().message().orElse("");
        if (phase == NodePhase.LOST || phase == NodePhase.TERMINATING) {
            return new Verdict(phase, keep);
        }
        if (n.spec().host().isPresent()) {
            HostPhase host = hosts.get(n.spec().host().get());
            if (host == null) {
                return new Verdict(NodePhase.LOST, "its host " + n.spec().host().get() + " is gone");
            }
            if (host == HostPhase.LOST) {
                return new Verdict(NodePhase.LOST, "its host " + n.spec().host().get() + " is lost");
            }
        }
        Instant created = n.metadata().creationTimestamp().orElse(now);
        if (phase == NodePhase.PENDING || phase == NodePhase.BOOTING) {
            if (Duration.between(created, now).compareTo(config.bootTimeout()) > 0) {
                return new Verdict(NodePhase.LOST, "not ready " + config.bootTimeout().toSeconds()
                        + " s after it was created");
            }
            return new Verdict(phase, keep);
        }
        Instant last = later(n.status().lastHeartbeat().orElse(created), since);
        Duration silent = Duration.between(last, now);
        boolean hostSilent = n.spec().host().map(hosts::get).filter(h -> h == HostPhase.SUSPECT).isPresent();
        if (silent.compareTo(config.nodeLostAfter()) > 0 && hostSilent) {
            // its host writes its heartbeats and is itself silent: the host's verdict decides (a cut-off host
            // fences itself before it is Lost; declaring its nodes Lost first would run their pods twice)
            return new Verdict(NodePhase.SUSPECT, phase == NodePhase.SUSPECT ? keep : "no heartbeat for "
                    + silent.toMillis() / 1000.0 + " s; its host is silent too");
        }
        if (silent.compareTo(config.nodeLostAfter()) > 0) {
            return new Verdict(NodePhase.LOST, "no heartbeat for " + silent.toMillis() / 1000.0 + " s (lost after "
                    + config.nodeLostAfter().toSeconds() + " s)");
        }
        if (silent.compareTo(config.nodeSuspectAfter()) > 0) {
            return new Verdict(NodePhase.SUSPECT, phase == NodePhase.SUSPECT ? keep : "no heartbeat for "
                    + silent.toMillis() / 1000.0 + " s; no new pods until it answers");
        }
        return new Verdict(NodePhase.READY, phase == NodePhase.SUSPECT ? "heartbeats again" : keep);
    }

    private static HostPhase hostPhase(Host h, Instant now, ControlConfig config, Instant since) {
        HostPhase phase = h.status().phase();
        if (phase == HostPhase.LOST || h.status().lastHeartbeat().isEmpty()) {
            return phase;
        }
        Duration silent = Duration.between(later(h.status().lastHeartbeat().get(), since), now);
        if (silent.compareTo(config.hostLostAfter()) > 0) {
            return HostPhase.LOST;
        }
        if (silent.compareTo(config.hostSuspectAfter()) > 0) {
            return HostPhase.SUSPECT;
        }
        return phase;
    }

    private static String age(Optional<Instant> last, Instant now) {
        return last.map(t -> Duration.between(t, now).toMillis() / 1000.0 + " s").orElse("never");
    }

    private static String label(Enum<?> phase) {
        String s = phase.name().toLowerCase();
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
