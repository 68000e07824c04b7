package dev.kiln.api.agent;

/** Which network a container sees. */
public enum NetworkMode {
    /** The VM's own network namespace: the container uses the VM's interfaces and address. */
    VM,
    /** A network namespace of its own with only a loopback interface. */
    ISOLATED,
    /**
     * The network namespace of its pod ({@link ContainerSpec#pod()}), made before by {@code PUT /v1/pods/{pod}/network}:
     * the pod's own address on an ipvlan link of the VM's NIC, shared by all containers of the pod.
     */
    POD
}
