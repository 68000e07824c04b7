package dev.kiln.cluster.control;

import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resource;

/**
 * One named change a controller asks for. Controllers only return actions; the {@link Applier} carries them out
 * through the store, each an optimistic write against the version the controller read (a conflict skips the action;
 * the next pass plans again from fresh state).
 */
public sealed interface Action {
    /** Which controller asked, for logs and events. */
    String controller();

    /** One line for the log: what and why. */
    String describe();

    /** A new Node for a pool; its name is {@code generateName} plus a random suffix. */
    record CreateNode(String controller, String generateName, Node node, String why) implements Action {
        public String describe() {
            return "create node " + generateName + "* for pool " + node.spec().pool() + ": " + why;
        }
    }

    record DeleteNode(String controller, Node node, String why) implements Action {
        public String describe() {
            return "delete node " + node.name() + ": " + why;
        }
    }

    /** A new Pod for a deployment; its name is {@code generateName} plus a random suffix. */
    record CreatePod(String controller, String generateName, Pod pod, String why) implements Action {
        public String describe() {
            return "create pod " + generateName + "*: " + why;
        }
    }

    record DeletePod(String controller, Pod pod, String why) implements Action {
        public String describe() {
            return "delete pod " + pod.name() + ": " + why;
        }
    }

    /** Places a Node on a Host ({@code node} is the updated resource, as read plus the binding). */
    record BindNode(String controller, Node node, String host) implements Action {
        public String describe() {
            return "bind node " + node.name() + " to host " + host;
        }
    }

    /** Places a Pod on a Node. */
    record BindPod(String controller, Pod pod, String node) implements Action {
        public String describe() {
            return "bind pod " + pod.name() + " to node " + node;
        }
    }

    /** Writes a Node's new status (or spec change such as cordoning); {@code node} is as read plus the change. */
    record UpdateNode(String controller, Node node, String why) implements Action {
        public String describe() {
            return "update node " + node.name() + " (" + node.status().phase() + "): " + why;
        }
    }

    record UpdatePod(String controller, Pod pod, String why) implements Action {
        public String describe() {
            return "update pod " + pod.name() + " (" + pod.status().phase() + "): " + why;
        }
    }

    record UpdateHost(String controller, Host host, String why) implements Action {
        public String describe() {
            return "update host " + host.name() + " (" + host.status().phase() + "): " + why;
        }
    }

    record UpdatePoolStatus(String controller, NodePool pool) implements Action {
        public String describe() {
            return "status of pool " + pool.name() + ": " + pool.status().readyReplicas() + "/"
                    + pool.spec().replicas() + " ready";
        }
    }

    record UpdateDeploymentStatus(String controller, Deployment deployment) implements Action {
        public String describe() {
            return "status of deployment " + deployment.name() + ": " + deployment.status().readyReplicas() + "/"
                    + deployment.spec().replicas() + " ready";
        }
    }

    /** An event about {@code involved}, for {@code kiln describe}. */
    record Emit(String controller, Resource involved, EventType type, String reason, String message)
            implements Action {
        public String describe() {
            return "event " + reason + " on " + involved.kind().manifestName() + " " + involved.name() + ": "
                    + message;
        }
    }
}
