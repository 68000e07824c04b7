package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.net.HostNetwork;
import dev.kiln.net.Ipv4Cidr;
import dev.kiln.net.NetworkConfig;
import dev.kiln.vmm.AcceleratorChoice;
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
    private final FakeWorld fakeWorld;

    /** What /v1/health reports. */
    public record HostInfo(String version, long pid, String stateDir, String socket, String driver, String driverReason,
                           String accelerator, String acceleratorReason, String guestImage, String bridge, String subnet) {}

    private HostAgent(HostConfig config, VmService vms, HostNetwork network, Server server, HostInfo info, FakeWorld fakeWorld) {
        this.config = config;
        this.vms = vms;
        this.network = network;
        this.server = server;
        this.info = info;
        this.fakeWorld = fakeWorld;
    }

    public static HostAgent start(HostConfig config) {
        ObjectMapper json = Json.mapper();
        Clock clock = Clock.systemUTC();
        prepareDirs(config);
        ensureNotRunning(config.socket());

        LOG.info("preparing the guest image (kernel, initramfs, root file system) in {}", config.imageCache());
        GuestImage image;
        try {
            GuestImageOptions defaults = GuestImageOptions.defaults();
            GuestImageOptions options = new GuestImageOptions(config.kernel().or(defaults::kernel), defaults.modulesDir(), defaults.busybox());
            image = GuestImageBuilder.create(config.imageCache()).ensure(options, msg -> LOG.info("guest image: {}", msg));
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
        LOG.info("driver: qemu ({})", driverReason(accel, image));

        Map<String, VmmDriver> drivers = new LinkedHashMap<>();
        drivers.put(QemuDriver.NAME, QemuDriver.create(QemuConfig.of(qemu, accel)));
        FakeWorld world = null;
        if (config.fakeDriver()) {
            world = new FakeWorld(clock);
            drivers.put(FakeDriver.NAME, new FakeDriver(world, spec -> FakeKnobs.healthy(),
                    GuestProtocol.READY_MARKER + " id={id} ip=none"));
        }
        HostNetwork network;
        try {
            network = HostNetwork.open(new NetworkConfig(config.bridge(), Ipv4Cidr.parse(config.subnet()), config.stateDir()));
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
        HostMetrics metrics = new HostMetrics();
        VmService service = new VmService(config, clock, new VmStore(config.stateDir(), json), network, drivers,
                QemuDriver.NAME, image, new GuestClient(json), metrics);
        service.recoverAll();

        HostInfo info = new HostInfo(VERSION, ProcessHandle.current().pid(), config.stateDir().toString(),
                config.socket().toString(), QemuDriver.NAME, driverReason(accel, image), accel.accelerator().qemuName(),
                accel.reason(), image.digest(),
                config.bridge(), config.subnet());
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("kiln-api");
        pool.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        Server server = new Server(pool);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(config.socket());
        server.addConnector(connector);
        HostAgent agent = new HostAgent(config, service, network, server, info, world);
        server.setHandler(new ApiHandler(service, metrics, json, info, agent::requestShutdown));
        try {
            server.start();
            Files.setPosixFilePermissions(config.socket(), PosixFilePermissions.fromString("rw-------"));
        } catch (Exception e) {
            service.close();
            throw new HostException(HostError.HOST_ERROR, "cannot serve the API on " + config.socket() + ": " + e.getMessage(),
                    "check that the directory exists and no other daemon uses the socket", e);
        }
        LOG.info("kiln daemon {} listening on {} (state in {})", VERSION, config.socket(), config.stateDir());
        return agent;
    }

    /**
     * Why 'auto' means QEMU on this host. The order is Firecracker (its binaries, and a KVM that runs a guest),
     * then QEMU with KVM, then QEMU with TCG.
     */
    private static String driverReason(AcceleratorChoice accel, GuestImage image) {
        List<String> missing = FirecrackerHostCheck.forThisHost()
                .kvm(accel.accelerator() == dev.kiln.vmm.Accelerator.KVM, accel.reason())
                .guestKernel(image.kernel())
                .build().run().stream()
                .filter(f -> f.status() == FirecrackerHostCheck.Status.MISSING)
                .map(FirecrackerHostCheck.Finding::name).toList();
        String firecracker = missing.isEmpty() ? "kiln's Firecracker driver is not built yet"
                : "Firecracker is not usable here (missing: " + String.join(", ", missing) + "; see 'kiln doctor')";
        return "QEMU with " + accel.accelerator() + ": " + firecracker;
    }

    private static void prepareDirs(HostConfig config) {
        try {
            Files.createDirectories(config.stateDir());
            Files.setPosixFilePermissions(config.stateDir(), PosixFilePermissions.fromString("rwx------"));
            Files.createDirectories(config.socket().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot create " + config.stateDir() + ": " + e.getMessage(),
                    "run the daemon as root, or choose --state-dir and --socket you can write", e);
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

    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    /** Stops serving and detaches from all VMs, which keep running. */
    @Override
    public void close() {
        if (stopped.getCount() == 0) return;
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the API server: {}", e.getMessage());
        }
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
        vms.removeAll();
        network.teardown(); // before close(): close() releases whoever waits for the agent to end
        close();
    }
}
