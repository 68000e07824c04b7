package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.PodLogSource;
import dev.kiln.cluster.model.Pod;
import dev.kiln.host.ContainerService;
import dev.kiln.host.HostException;

import java.io.InputStream;
import java.util.Optional;

/** A pod's logs: the logs of its container on this host (the first container unless one is named). */
final class ContainerPodLogs implements PodLogSource {
    private final ContainerService containers;

    ContainerPodLogs(ContainerService containers) {
        this.containers = containers;
    }

    @Override
    public InputStream open(Pod pod, Optional<String> container, boolean follow) {
        String node = pod.spec().nodeName().orElseThrow(() -> new ClusterException(ClusterError.NOT_FOUND,
                "pod " + pod.name() + " is not placed on a node yet", "wait until it is Running (kiln get pods)"));
        String name = container.orElseGet(() -> pod.spec().containers().getFirst().name());
        try {
            return containers.logs(VmNodeBackend.containerName(pod.name(), name), follow, "both");
        } catch (HostException e) {
            throw new ClusterException(ClusterError.NOT_FOUND, "no logs of pod " + pod.name() + " (container "
                    + name + ") on node " + node + ": " + e.getMessage(), "check the container's name");
        }
    }
}
