package dev.kiln.cluster.node;

import dev.kiln.cluster.control.Action;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Pod;

/** One step a host's runtime takes: a store write (a cluster {@link Action}) or a call to its backend. */
public sealed interface HostAction {
    String describe();

    record Write(Action action) implements HostAction {
        public String describe() {
            return action.describe();
        }
    }

    record StartVm(Node node) implements HostAction {
        public String describe() {
            return "boot a microVM for node " + node.name();
        }
    }

    record RemoveVm(String node, String why) implements HostAction {
        public String describe() {
            return "remove the microVM of node " + node + ": " + why;
        }
    }

    record StartPod(String node, Pod pod) implements HostAction {
        public String describe() {
            return "start pod " + pod.name() + " on node " + node;
        }
    }

    record RemovePod(String node, String pod, String why) implements HostAction {
        public String describe() {
            return "remove pod " + pod + " from node " + node + ": " + why;
        }
    }
}
