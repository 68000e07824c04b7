package dev.kiln.cluster.node;

import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resources;

import java.util.Map;

/**
 * What a host's runtime needs from the machine: microVMs for Nodes and containers in them for Pods. kiln-host
 * implements it with its VM and container services (real QEMU microVMs, runc in the guest); the cluster's
 * simulations implement it in memory. Start and remove calls return at once; their progress shows in
 * {@link #observe()}, which must show a VM or pod as starting from the moment it was asked for.
 */
public interface NodeBackend {
    /** This host's VMs (keyed by Node name) and pods in them, with their health as of now. */
    Observed observe();

    /** Boots a microVM for {@code node} (its profile and driver). */
    void startVm(Node node);

    /** Removes the VM of {@code nodeName} and everything in it; absent is fine. */
    void removeVm(String nodeName);

    /** Starts {@code pod}'s containers in the VM of {@code nodeName}. */
    void startPod(String nodeName, Pod pod);

    /** Removes a pod's containers from the VM of {@code nodeName}; absent is fine. */
    void removePod(String nodeName, String podName);

    /** What this host offers to Nodes. */
    Resources capacity();

    /** The host's address, as other hosts and clients reach it. */
    String address();

    /** Labels to register the host with (for NodePool host selectors). */
    Map<String, String> labels();

    /** The slice of the cluster network this host's VMs take addresses from; empty when there is no overlay. */
    default String subnet() {
        return "";
    }

    /**
     * The cluster network {@link #subnet()} must lie inside, e.g. {@code 10.90.0.0/16}; empty when there is none (no
     * overlay, or the host was not told: then only the overlap with other hosts' subnets is checked).
     */
    default String clusterCidr() {
        return "";
    }

    /** The TCP port of this host's cluster API, where other hosts reach it; 0 when it has none (or is not known). */
    default int apiPort() {
        return 0;
    }

    /** The digest of the guest image this host's VMs boot, recorded in its Host; empty when there is none. */
    default String guestImage() {
        return "";
    }

    /**
     * Stops every pod and removes every node VM on this host, because the host has been cut off from the cluster
     * for so long that the control plane is about to declare it Lost and run its pods elsewhere (self-fencing: a
     * pod must never run in two places). The store is not written: it cannot be reached.
     */
    void fence();

    /**
     * Asks the backend to tell {@code listener} as soon as the VM of a node ends (its VMM process exited, or it was
     * removed), apart from {@link #observe()}: the runtime then marks the node Lost at once instead of at its next
     * pass. A backend that cannot tell (the default) leaves it to {@link #observe()}. The listener may be called on
     * any thread, and also for VMs the runtime removed itself (it checks the store and ignores those).
     */
    default void onVmEnded(VmEnded listener) {
    }

    /** The end of a node's VM, pushed by the backend. */
    @FunctionalInterface
    interface VmEnded {
        /**
         * @param node the Node whose VM ended
         * @param why  what ended it, for the node's status and event ("the VMM exited: killed by signal 9")
         */
        void ended(String node, String why);
    }
}
