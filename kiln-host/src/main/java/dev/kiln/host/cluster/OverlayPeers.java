package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.net.NetException;
import dev.kiln.net.NetworkConfig;
import dev.kiln.net.OverlayConfig;
import dev.kiln.net.VxlanOverlay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * This host's end of the overlay: the VXLAN port of its bridge ({@link VxlanOverlay}), and a loop that keeps its
 * peers equal to the addresses of the other registered hosts on the cluster network (every 2 s), so a host that
 * joins is reached within seconds and one that is deleted is dropped.
 */
final class OverlayPeers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OverlayPeers.class);
    private static final long EVERY_MS = 2000;

    private final VxlanOverlay overlay;
    private final ResourceStore store;
    private final String self;
    private volatile boolean running = true;
    private final Thread loop;

    private OverlayPeers(VxlanOverlay overlay, ResourceStore store, String self) {
        this.overlay = overlay;
        this.store = store;
        this.self = self;
        this.loop = Thread.ofPlatform().daemon().name("kiln-overlay-peers").start(this::run);
    }

    /** Creates (or adopts) the overlay port of {@code network}'s bridge with {@code local} as its endpoint. */
    static OverlayPeers start(NetworkConfig network, String local, ResourceStore store, String self) {
        VxlanOverlay overlay = VxlanOverlay.open(new OverlayConfig(network.bridgeName(), local));
        LOG.info("overlay: {} on bridge {} (local endpoint {}, MTU {})", overlay.deviceName(), network.bridgeName(),
                local, overlay.mtu());
        return new OverlayPeers(overlay, store, self);
    }

    /** The other hosts' overlay endpoints as the store has them. */
    Set<String> wanted() {
        return store.list(Host.class).stream()
                .filter(h -> !h.name().equals(self) && !h.spec().subnet().isEmpty() && !h.spec().address().isEmpty())
                .map(h -> h.spec().address())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** One reconciliation; returns the peers now set. */
    Set<String> sync() {
        Set<String> want = wanted();
        if (!want.equals(overlay.peers())) {
            overlay.setPeers(want);
            LOG.info("overlay peers: {}", want);
        }
        return want;
    }

    private void run() {
        while (running) {
            try {
                sync();
            } catch (ClusterException | NetException e) {
                LOG.debug("overlay peers not updated (retrying): {}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("overlay peers not updated (retrying)", e);
            }
            try {
                Thread.sleep(EVERY_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops updating; the device stays (VMs keep their network while the daemon restarts). */
    @Override
    public void close() {
        running = false;
        loop.interrupt();
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops and removes the device (the host leaves the cluster). */
    void remove() {
        close();
        try {
            overlay.teardown();
        } catch (NetException e) {
            LOG.warn("removing the overlay device: {}", e.getMessage());
        }
    }
}
