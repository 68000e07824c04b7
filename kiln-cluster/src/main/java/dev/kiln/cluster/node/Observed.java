package dev.kiln.cluster.node;

import dev.kiln.cluster.model.ContainerStatus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host's VMs and pods as its backend sees them at one moment.
 *
 * @param vms  by Node name
 * @param pods by Node name, then by pod name
 */
public record Observed(Map<String, Vm> vms, Map<String, Map<String, PodRun>> pods) {
    public Observed {
        vms = Map.copyOf(vms);
        pods = Map.copyOf(pods);
    }

    public static Observed nothing() {
        return new Observed(Map.of(), Map.of());
    }

    public enum VmState { BOOTING, RUNNING, FAILED }

    /**
     * One VM. {@code healthy}: its guest agent answered just now (the node's heartbeat). {@code message}: why a
     * FAILED VM failed (its VMM exited, the boot timed out, ...). {@code agentStartedAt}: when its guest agent's
     * process started, as the agent last said (a new value means it restarted).
     */
    public record Vm(String node, VmState state, Optional<String> vmName, Optional<String> address, boolean healthy,
                     Optional<String> message, Optional<Instant> agentStartedAt) {
        public Vm {
            agentStartedAt = agentStartedAt == null ? Optional.empty() : agentStartedAt;
        }

        /** A VM whose agent did not say when it started. */
        public Vm(String node, VmState state, Optional<String> vmName, Optional<String> address, boolean healthy,
                  Optional<String> message) {
            this(node, state, vmName, address, healthy, message, Optional.empty());
        }
    }

    public enum PodState { STARTING, RUNNING, SUCCEEDED, FAILED }

    /**
     * One pod's containers in a VM; {@code uid} tells a pod from a newer one of the same name. {@code address}: the
     * pod's own address, when its backend gives pods one (else the pod has its node VM's).
     */
    public record PodRun(String pod, String uid, PodState state, List<ContainerStatus> containers,
                         Optional<String> message, Optional<String> address) {
        public PodRun {
            containers = List.copyOf(containers);
            message = message == null ? Optional.empty() : message;
            address = address == null ? Optional.empty() : address;
        }

        /** A pod on its node VM's address. */
        public PodRun(String pod, String uid, PodState state, List<ContainerStatus> containers,
                      Optional<String> message) {
            this(pod, uid, state, containers, message, Optional.empty());
        }
    }

    public Map<String, PodRun> podsOn(String node) {
        return pods.getOrDefault(node, Map.of());
    }
}
