package dev.kiln.host;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.host.cluster.ClusterMode;
import dev.kiln.host.cluster.ClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * Whether this daemon is in the cluster: {@code kiln up} joins ({@link #up}), {@code kiln down} leaves
 * ({@link #down}). The options of the last {@code up} are kept in {@code STATE/cluster/cluster.json}, so a daemon
 * that restarts rejoins by itself ({@link #resume}).
 */
public final class ClusterMembership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);

    private final Path file;
    private final Path stateDir;
    private final VmService vms;
    private final ContainerService containers;
    private final Clock clock;
    private Optional<ClusterMode> mode = Optional.empty();

    private final dev.kiln.net.HostNetwork network;

    private final dev.kiln.image.ImageStore images;
    private final int registryPort;
    private final GuestGateway gateway;

    ClusterMembership(Path stateDir, VmService vms, ContainerService containers, dev.kiln.net.HostNetwork network,
                      dev.kiln.image.ImageStore images, int registryPort, GuestGateway gateway,
                      Clock clock) {
        this.gateway = gateway;
        this.images = images;
        this.registryPort = registryPort;
        this.network = network;
        this.stateDir = stateDir;
        this.file = stateDir.resolve("cluster").resolve("cluster.json");
        this.vms = vms;
        this.containers = containers;
        this.clock = clock;
    }

    public synchronized Optional<ClusterMode.Status> status() {
        return mode.map(ClusterMode::status);
    }

    /** Joins with {@code options}; already a member: the current status. */
    public synchronized ClusterMode.Status up(ClusterOptions options) {
        if (mode.isPresent()) {
            return mode.get().status();
        }
        try {
            mode = Optional.of(ClusterMode.start(stateDir, options, vms, containers, network, images, registryPort, gateway, clock));
        } catch (ClusterException e) {
            HostError code = e.code() == ClusterError.SUBNET_CONFLICT ? HostError.SUBNET_CONFLICT
                    : e.getMessage().contains("already in use") ? HostError.PORT_IN_USE : HostError.HOST_ERROR;
            throw new HostException(code, e.getMessage(), e.hint().orElse("see the daemon log"), e);
        }
        try {
            Files.createDirectories(file.getParent());
            // the secret files act once: a restarted daemon must not put an old token back over a newer one
            Files.write(file, Json.mapper().writeValueAsBytes(options.withoutSecretFiles()));
        } catch (IOException e) {
            LOG.warn("cannot save {} (a restarted daemon will not rejoin by itself): {}", file, e.getMessage());
        }
        return mode.get().status();
    }

    /** Leaves the cluster: stops its services and etcd, removes this host's node VMs; etcd's data stays. */
    public synchronized boolean down() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file, e.getMessage());
        }
        if (mode.isEmpty()) {
            return false;
        }
        mode.get().down(vms);
        mode = Optional.empty();
        return true;
    }

    /** Rejoins after a daemon restart when the last {@code kiln up} was not followed by {@code kiln down}. */
    synchronized void resume() {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            ClusterOptions options = Json.mapper().readValue(file.toFile(), ClusterOptions.class);
            LOG.info("rejoining the cluster (as before this daemon restarted)");
            mode = Optional.of(ClusterMode.start(stateDir, options, vms, containers, network, images, registryPort, gateway, clock));
        } catch (ClusterException e) {
            LOG.error("cannot rejoin the cluster: {} ({}; then run `kiln up` again)", e.getMessage(),
                    e.hint().orElse("see above"));
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot rejoin the cluster: {} (run `kiln up` again)", e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        mode.ifPresent(ClusterMode::close);
        mode = Optional.empty();
    }
}
