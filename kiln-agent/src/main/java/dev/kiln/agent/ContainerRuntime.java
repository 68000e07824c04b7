package dev.kiln.agent;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerStats;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Containers of one guest, keyed by id (every call also takes the name). Small on purpose, like a Nomad task
 * driver: start, inspect, stop, remove, exec, stats, logs. Closing it stops the agent's own threads only; the
 * containers keep running.
 */
public interface ContainerRuntime extends AutoCloseable {

    /**
     * A container's log files and a future that completes when it will write no more: it exited and will not be
     * restarted, or it was removed.
     */
    record Logs(Path stdout, Path stderr, CompletableFuture<Void> ended) {
    }

    /**
     * Why the supervision of containers (restarts per policy) is not working, or empty when it is. The agent's
     * health check reports it, so that the host does not count a node whose containers are no longer looked after
     * as healthy.
     */
    default Optional<String> supervisionProblem() {
        return Optional.empty();
    }

    /** Creates and starts a container from an unpacked image root; returns once it runs or has failed. */
    ContainerInfo start(ContainerSpec spec, ImagePuller.PulledImage image, Path imageRootfs);

    List<ContainerInfo> list();

    ContainerInfo inspect(String idOrName);

    /** SIGTERM, then SIGKILL after {@code timeout}; a stopped container is not restarted. */
    ContainerInfo stop(String idOrName, Duration timeout);

    /** Deletes the container, its runc state, cgroup and root; a running one only with {@code force}. */
    void remove(String idOrName, boolean force);

    ExecResult exec(String idOrName, ExecRequest request);

    ContainerStats stats(String idOrName);

    Logs logs(String idOrName);

    /** The container's root file system as the guest sees it (for copying files in and out). */
    Path rootfs(String idOrName);

    /** {@code overlay} or {@code copy}. */
    String rootfsMode();

    int cgroupVersion();

    /** runc's version line. */
    String runtimeVersion();

    @Override
    void close();
}
