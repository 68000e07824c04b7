package dev.kiln.api.agent;

/** Which network a container sees. */
public enum NetworkMode {
    /** The VM's own network namespace: the container uses the VM's interfaces and address. */
    VM,
    /** A network namespace of its own with only a loopback interface. */
    ISOLATED
}
