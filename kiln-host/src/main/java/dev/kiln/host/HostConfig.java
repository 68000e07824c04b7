package dev.kiln.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How a host agent runs. Defaults: state in /var/lib/kiln, socket /run/kiln/kiln.sock, bridge kiln0 on
 * 10.77.0.0/24 (no cluster network), boot timeout 120 s, 4 GiB (sparse) scratch disks (a TCG boot takes about 5 s; a loaded 2-core machine can take far longer).
 */
public record HostConfig(
        Path stateDir,
        Path socket,
        Path imageCache,
        String bridge,
        String subnet,
        Optional<Path> kernel,
        Duration bootTimeout,
        boolean fakeDriver,
        long scratchBytes,
        int registryPort,
        Optional<String> clusterCidr,
        boolean guestIsolation) {

    /** The port of the image registry that the daemon serves to its guests on the bridge's address. */
    public static final int DEFAULT_REGISTRY_PORT = 10080;

    /**
     * The port on the bridge address that {@code kiln bench functionbench} runs its iperf3 server on; open to guests
     * (nothing listens on it otherwise).
     */
    public static final int BENCH_IPERF_PORT = 10081;

    /** The default size of a VM's scratch disk (sparse: only what the guest writes takes space). */
    public static final long DEFAULT_SCRATCH_BYTES = 4L << 30;

    public static HostConfig defaults() {
        return new HostConfig(Path.of("/var/lib/kiln"), Path.of("/run/kiln/kiln.sock"), Path.of("/var/lib/kiln/cache"), "kiln0", "10.77.0.0/24",
                Optional.empty(), Duration.ofSeconds(120), false, DEFAULT_SCRATCH_BYTES, DEFAULT_REGISTRY_PORT, Optional.empty(), true);
    }

    /** Moves the state directory; the image cache moves with it. */
    public HostConfig withStateDir(Path dir) {
        return new HostConfig(dir, socket, dir.resolve("cache"), bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    /** Where guest images are cached (shared by agents with different state directories, e.g. tests). */
    public HostConfig withImageCache(Path dir) {
        return new HostConfig(stateDir, socket, dir, bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withSocket(Path s) {
        return new HostConfig(stateDir, s, imageCache, bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withNetwork(String bridgeName, String cidr) {
        return new HostConfig(stateDir, socket, imageCache, bridgeName, cidr, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withKernel(Optional<Path> k) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, k, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withBootTimeout(Duration timeout) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, timeout, fakeDriver, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withFakeDriver(boolean enabled) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, bootTimeout, enabled, scratchBytes, registryPort, clusterCidr, guestIsolation);
    }

    public HostConfig withScratchBytes(long bytes) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, bootTimeout, fakeDriver, bytes, registryPort, clusterCidr, guestIsolation);
    }

    /**
     * Puts the bridge on a cluster network: {@code cidr} (e.g. 10.90.0.0/16) is on-link for the bridge and the guests,
     * which still take their addresses only from {@link #subnet()} (this host's slice, e.g. 10.90.2.0/24); the
     * overlay joins the hosts' bridges into that one network.
     */
    public HostConfig withClusterCidr(Optional<String> cidr) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, cidr, guestIsolation);
    }

    public HostConfig withRegistryPort(int port) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, port, clusterCidr, guestIsolation);
    }

    /**
     * Guest isolation on the bridge (anti-spoofing, tenants, only kiln's ports of the host, egress policies): on by
     * default; off only for debugging, and the daemon warns loudly when it is.
     */
    public HostConfig withGuestIsolation(boolean enabled) {
        return new HostConfig(stateDir, socket, imageCache, bridge, subnet, kernel, bootTimeout, fakeDriver, scratchBytes, registryPort, clusterCidr, enabled);
    }
}
