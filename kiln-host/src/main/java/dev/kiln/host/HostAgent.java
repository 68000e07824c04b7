package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.guest.GuestImage;
import dev.kiln.image.ImageRegistry;
import dev.kiln.image.ImageStore;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.net.HostNetwork;
import dev.kiln.net.Ipv4Cidr;
import dev.kiln.net.NetworkConfig;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.DriverChoice;
import dev.kiln.vmm.DriverRequest;
import dev.kiln.vmm.DriverSelection;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.firecracker.FirecrackerConfig;
import dev.kiln.vmm.firecracker.FirecrackerDriver;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.fake.FakeDriver;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck;
import dev.kiln.vmm.fake.FakeKnobs;
import dev.kiln.vmm.fake.FakeWorld;
import dev.kiln.vmm.qemu.AcceleratorProbe;
import dev.kiln.vmm.qemu.QemuBinary;
import dev.kiln.vmm.qemu.QemuConfig;
import dev.kiln.vmm.qemu.QemuDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-host agent: builds (or finds) the guest image, picks the accelerator, opens host networking,
 * re-adopts VMs, sweeps leftovers, and serves the API on a root-only Unix socket.
 */
public final class HostAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostAgent.class);
    public static final String VERSION = "0.1.0";

    private final HostConfig config;
    private final VmService vms;
    private final HostNetwork network;
    private final Server server;
    private final HostInfo info;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** How often a running daemon marks its guest image used (well within the cache's grace period of 1 hour). */
    private static final java.time.Duration IMAGE_MARK_EVERY = java.time.Duration.ofMinutes(10);
    private final FakeWorld fakeWorld;
    private final ContainerService containers;
    private final ImageStore images;
    private final ImageRegistry registry;
    private final ClusterMembership cluster;

    /** What /v1/health reports. */
    public record HostInfo(String version, long pid, String stateDir, String socket, String driver, String driverReason,
                           String accelerator, String acceleratorReason, String guestImage, String bridge, String subnet,
                           String registry) {}

    private HostAgent(HostConfig config, VmService vms, HostNetwork network, Server server, HostInfo info, FakeWorld fakeWorld,
                      ContainerService containers, ImageStore images, ImageRegistry registry, GuestGateway gateway) {
        this.containers = containers;
        this.images = images;
        this.registry = registry;
        this.config = config;
        this.vms = vms;
        this.network = network;
        this.server = server;
        this.info = info;
        this.fakeWorld = fakeWorld;
        this.cluster = new ClusterMembership(config.stateDir(), vms, containers, network, images, config.registryPort(),
                gateway, Clock.systemUTC());
    }

    /**
     * The host network of a daemon with this config: its guests' host-only ports (control endpoint, agent), the
     * host's ports they may open (the registry / guest gateway and the bench's iperf3 port), isolation, and the
     * cluster CIDR. Anything else that opens the daemon's network (e.g. {@code kiln bench vm-start}) must use the
     * same, or it would re-create the daemon's tables with other rules.
     */
    public static NetworkConfig networkConfig(HostConfig config) {
        NetworkConfig netConfig = new NetworkConfig(config.bridge(), Ipv4Cidr.parse(config.subnet()),
                config.stateDir(), List.of(GuestProtocol.CONTROL_PORT, AgentProtocol.PORT))
                .withGuestServicePorts(List.of(config.registryPort(), HostConfig.BENCH_IPERF_PORT))
                .withIsolation(config.guestIsolation() ? NetworkConfig.Isolation.ON : NetworkConfig.Isolation.OFF);
        if (config.clusterCidr().isPresent()) {
            netConfig = netConfig.withClusterCidr(Ipv4Cidr.parse(config.clusterCidr().get()));
        }
        return netConfig;
    }

    public static HostAgent start(HostConfig config) {
        return start(config, JailPolicy.fromEnvironment());
    }

    /**
     * As {@link #start(HostConfig)}, with the QEMU jail set explicitly instead of from the environment ({@code kiln
     * bench isolation} runs a jailed and an unjailed daemon side by side).
     */
    public static HostAgent start(HostConfig config, JailPolicy jail) {
        return start(config, jail, List.of());
    }

    /**
     * As {@link #start(HostConfig)}, taking the guest image from another host of the cluster when one offers the
     * very image this host would build ({@code kiln daemon --join}: {@code PeerGuestImages.offers}); built here
     * when none does, or none delivers it whole.
     */
    public static HostAgent start(HostConfig config, JailPolicy jail, List<dev.kiln.guest.GuestImageOffer> offers) {
        ObjectMapper json = Json.mapper();
        Clock clock = Clock.systemUTC();
        prepareDirs(config);
        ensureNotRunning(config.socket());

        LOG.info("preparing the guest image (kernel, initramfs, root file system) in {}", config.imageCache());
        GuestImage image;
        try {
            GuestImageOptions defaults = GuestImageOptions.defaults();
            GuestImageOptions options = new GuestImageOptions(config.kernel().or(defaults::kernel), defaults.modulesDir(), defaults.busybox(), defaults.agent());
            image = GuestImageBuilder.create(config.imageCache()).ensure(options, offers,
                    msg -> LOG.info("guest image: {}", msg));
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
        LOG.info("guest image {} (kernel {})", image.digest().substring(0, 12), image.kernelVersion());

        Path qemu = QemuBinary.find(Optional.empty(), Optional.ofNullable(System.getenv("PATH")).orElse(""))
                .orElse(Path.of("/usr/bin", QemuBinary.NAME));
        AcceleratorChoice accel = new AcceleratorCache(config.imageCache(), json).choose(image.digest(), () -> {
            if (!Files.isExecutable(qemu)) {
                return new AcceleratorChoice(dev.kiln.vmm.Accelerator.TCG, "QEMU is not installed", clock.instant());
            }
            LOG.info("probing KVM by booting a probe guest (up to 15 s)");
            return new AcceleratorProbe(qemu, Path.of("/dev/kvm"), clock)
                    .probe(image.kernel(), image.initrd(), GuestProtocol.PROBE_MARKER, Duration.ofSeconds(15));
        });
        LOG.info("accelerator: {} ({})", accel.accelerator(), accel.reason());
        DriverChoice choice = chooseDriver(accel, image);
        Map<String, VmmDriver> drivers = new LinkedHashMap<>();
        drivers.put(QemuDriver.NAME, QemuDriver.create(QemuConfig.of(qemu, accel).withJail(jail)));
        String autoDriver = QemuDriver.NAME;
        String driverReason = choice.reason();
        if (choice instanceof DriverChoice.Firecracker) {
            Path binary = Optional.ofNullable(System.getenv("PATH")).stream()
                    .flatMap(p -> java.util.Arrays.stream(p.split(":")))
                    .map(dir -> Path.of(dir, "firecracker")).filter(Files::isExecutable).findFirst().orElseThrow();
            drivers.put(FirecrackerDriver.NAME, FirecrackerDriver.create(FirecrackerConfig.of(binary)));
            autoDriver = FirecrackerDriver.NAME;
        }
        LOG.info("driver: {} ({})", autoDriver, driverReason);
        FakeWorld world = null;
        if (config.fakeDriver()) {
            world = new FakeWorld(clock);
            drivers.put(FakeDriver.NAME, new FakeDriver(world, spec -> FakeKnobs.healthy(),
                    GuestProtocol.READY_MARKER + " id={id} ip=none"));
        }
        HostNetwork network;
        try {
            network = HostNetwork.open(networkConfig(config));
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
        HostMetrics metrics = new HostMetrics();
        VmService service = new VmService(config, clock, new VmStore(config.stateDir(), json), network, drivers,
                autoDriver, driverReason, image, new GuestClient(json), metrics);
        service.recoverAll();

        // Containers: the image store, its registry on the bridge's address (guests only reach the host there), and
        // the service that runs containers in guests.
        ImageStore images;
        ImageRegistry registry;
        java.util.concurrent.atomic.AtomicReference<GuestGateway> gateway = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            images = ImageStore.open(config.stateDir().resolve("images"));
            registry = ImageRegistry.start(images, new java.net.InetSocketAddress(
                    network.config().subnet().gateway(), config.registryPort()),
                    handler -> {
                        // the store and Invoke know their callers by source address (see GuestGateway)
                        gateway.set(new GuestGateway(config.stateDir().resolve("objects"), handler, ip -> service
                                .list().stream().filter(v -> v.ip().equals(ip) && v.phase().equals("running"))
                                .map(VmView::name).findFirst(), GuestGateway::isLocalAddress));
                        return gateway.get();
                    });
        } catch (RuntimeException e) {
            service.close();
            throw HostException.from(e);
        }
        String registryUrl = "http://" + network.config().subnet().gateway() + ":" + registry.address().getPort();
        ContainerService containers = new ContainerService(service, images, () -> registryUrl, new PortForwarder(),
                new ContainerStore(config.stateDir(), json), clock);
        containers.recover();

        HostInfo info = new HostInfo(VERSION, ProcessHandle.current().pid(), config.stateDir().toString(),
                config.socket().toString(), autoDriver, driverReason, accel.accelerator().qemuName(),
                accel.reason(), image.digest(),
                config.bridge(), config.subnet(), registryUrl);
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("kiln-api");
        pool.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        Server server = new Server(pool);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(config.socket());
        server.addConnector(connector);
        HostAgent agent = new HostAgent(config, service, network, server, info, world, containers, images, registry,
                gateway.get());
        server.setHandler(new ApiHandler(service, containers, images, metrics, json, info, agent::requestShutdown,
                agent.cluster));
        try {
            server.start();
            Files.setPosixFilePermissions(config.socket(), PosixFilePermissions.fromString("rw-------"));
        } catch (Exception e) {
            containers.close();
            registry.close();
            service.close();
            throw new HostException(HostError.HOST_ERROR, "cannot serve the API on " + config.socket() + ": " + e.getMessage(),
                    "check that the directory exists and no other daemon uses the socket", e);
        }
        LOG.info("kiln daemon {} listening on {} (state in {})", VERSION, config.socket(), config.stateDir());
        agent.cluster.resume();
        agent.keepMarkingUsed(image);
        return agent;
    }

    /**
     * The driver 'auto' means on this host, and why: Firecracker when its binary is there, a probe guest boots under
     * KVM and nothing else it needs is missing (see {@link DriverSelection}); else QEMU with the probed accelerator.
     */
    private static DriverChoice chooseDriver(AcceleratorChoice accel, GuestImage image) {
        Optional<Path> firecracker = Optional.ofNullable(System.getenv("PATH")).stream()
                .flatMap(p -> java.util.Arrays.stream(p.split(":")))
                .map(dir -> Path.of(dir, "firecracker")).filter(Files::isExecutable).findFirst();
        List<FirecrackerHostCheck.Finding> findings = FirecrackerHostCheck.forThisHost()
                .kvm(accel.accelerator() == dev.kiln.vmm.Accelerator.KVM, accel.reason())
                .guestKernel(image.kernel())
                .build().run();
        return DriverSelection.choose(DriverRequest.AUTO, new DriverSelection.HostFacts(firecracker, findings, accel));
    }

    private static void prepareDirs(HostConfig config) {
        try {
            Files.createDirectories(config.stateDir());
            Files.setPosixFilePermissions(config.stateDir(), PosixFilePermissions.fromString("rwx------"));
            socketDirectory(config.socket().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot create " + config.stateDir() + ": " + e.getMessage(),
                    "run the daemon as root, or choose --state-dir and --socket you can write", e);
        }
    }

    /**
     * Makes the socket's directory root-only when kiln creates it ({@code /run/kiln}: 0700), and refuses one that
     * anybody may write to without the sticky bit: there another user could replace the socket with their own.
     */
    static void socketDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return;
        }
        int mode = (Integer) Files.getAttribute(dir, "unix:mode");
        boolean othersWrite = (mode & 0002) != 0;
        boolean sticky = (mode & 01000) != 0;
        if (othersWrite && !sticky) {
            throw new HostException(HostError.HOST_ERROR, "the socket's directory " + dir + " may be written by "
                    + "anybody (mode " + Integer.toOctalString(mode & 07777) + "): another user could replace the "
                    + "daemon's socket", "chmod o-w " + dir + ", or pass --socket in a directory only root writes "
                    + "(the default /run/kiln/kiln.sock)");
        }
    }

    private static void ensureNotRunning(Path socket) {
        if (!Files.exists(socket)) return;
        try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            throw new HostException(HostError.ALREADY_RUNNING, "a kiln daemon is already listening on " + socket,
                    "use it, or stop it first (it keeps its VMs running)");
        } catch (IOException e) {
            try {
                Files.deleteIfExists(socket); // stale: nothing listens
            } catch (IOException ignored) {
                // start will fail with a clear message
            }
        }
    }

    public VmService vms() {
        return vms;
    }

    /** This daemon's part in the cluster ({@code kiln up} / {@code kiln down}). */
    public ClusterMembership cluster() {
        return cluster;
    }

    public ContainerService containers() {
        return containers;
    }

    public ImageStore images() {
        return images;
    }

    public HostInfo info() {
        return info;
    }

    public HostNetwork network() {
        return network;
    }

    private void requestShutdown(boolean cleanup) {
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(100); // let the reply go out
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (cleanup) cleanupAndClose();
            else close();
        });
    }

    /**
     * While the daemon runs, marks its guest image used every {@link #IMAGE_MARK_EVERY}: the cache keeps images used
     * within the last hour, and this daemon starts VMs from its image for as long as it runs, even when other kiln
     * versions sharing the cache have used newer images since.
     */
    private void keepMarkingUsed(GuestImage image) {
        Thread.ofVirtual().name("kiln-image-mark").start(() -> {
            try {
                while (!stopped.await(IMAGE_MARK_EVERY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    image.markUsed();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    /** Stops serving and detaches from all VMs, which keep running. */
    @Override
    public void close() {
        if (stopped.getCount() == 0) return;
        cluster.close();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the API server: {}", e.getMessage());
        }
        containers.close();
        registry.close();
        vms.close();
        if (fakeWorld != null) fakeWorld.close();
        try {
            Files.deleteIfExists(config.socket());
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", config.socket(), e.getMessage());
        }
        stopped.countDown();
        LOG.info("kiln daemon stopped; VMs keep running");
    }

    /** Removes every VM and all host networking, then stops: nothing of kiln's is left on the host. */
    public void cleanupAndClose() {
        cluster.down();
        containers.removeAll();
        vms.removeAll();
        network.teardown(); // before close(): close() releases whoever waits for the agent to end
        close();
    }
}
