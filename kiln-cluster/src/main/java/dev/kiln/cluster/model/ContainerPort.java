package dev.kiln.cluster.model;

import java.util.Optional;

/** A port a container listens on, optionally published on the Node; protocol {@code TCP} (absent) or {@code UDP}. */
public record ContainerPort(int containerPort, Optional<Integer> hostPort, String protocol) {
    public static final String TCP = "TCP";

    public ContainerPort {
        hostPort = Defaults.optional(hostPort);
        protocol = Defaults.orIfEmpty(protocol, TCP);
    }

    /** A TCP port without a host port. */
    public static ContainerPort tcp(int containerPort) {
        return new ContainerPort(containerPort, Optional.empty(), TCP);
    }
}
