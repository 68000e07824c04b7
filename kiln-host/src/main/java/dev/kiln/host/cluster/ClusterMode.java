package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.host.ImageDisks;
import dev.kiln.host.VmSlotBackend;
import dev.kiln.host.fn.FunctionService;
import dev.kiln.host.fn.FunctionStore;
import dev.kiln.host.fn.LambdaApi;
import dev.kiln.host.fn.SigV4Verifier;
import dev.kiln.host.fn.SlotManager;
import dev.kiln.cluster.control.ControlConfig;
import dev.kiln.cluster.control.ControlPlane;
import dev.kiln.cluster.control.LeaderElection;
import dev.kiln.image.ImageStore;
import dev.kiln.net.HostNetwork;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.node.HostRuntime;
import dev.kiln.cluster.node.SubnetCheck;
import dev.kiln.cluster.store.EtcdPki;
import dev.kiln.cluster.store.EtcdProcess;
import dev.kiln.cluster.store.EtcdTls;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.host.ContainerService;
import dev.kiln.host.VmService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This daemon as a member of the cluster: its own etcd (unless it joins an existing one), the cluster API, a
 * control-plane replica that acts only while this member leads ({@link LeaderElection}), this host's runtime with
 * real microVM nodes and, on a cluster network, the overlay to the other hosts ({@link OverlayPeers}). {@link #close()} stops it all but leaves VMs running (a restarted
 * daemon takes them over); {@link #down()} also removes every node VM and its pods.
 */
public final class ClusterMode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMode.class);
    private static final Duration STORE_WAIT = Duration.ofSeconds(30);
    /** Where kiln's own etcd keeps its authority and certificates, under {@code STATE/cluster}. */
    public static final String ETCD_PKI = "etcd-pki";
    /** The leader's lease: a standby takes over within this long after the leader dies. */
    private static final Duration LEADER_TTL = Duration.ofSeconds(5);

    /**
     * What {@code GET /v1/cluster} shows.
     *
     * @param leader  the member whose control plane acts now (empty while none leads)
     * @param leading whether that is this daemon
     * @param address the address other hosts reach this one at
     * @param subnet  where this host's VMs take their addresses from; on an overlay, a slice of the cluster network
     */
    public record Status(String host, List<URI> etcd, boolean ownEtcd, URI api, Instant since,
                         Optional<String> leader, boolean leading, String address, String subnet) {
    }

    private final Optional<EtcdProcess> etcd;
    private final KvStore kv;
    private final ClusterApiServer api;
    private final LeaderElection election;
    private final AtomicReference<ControlPlane> control;
    private final HostRuntime runtime;
    private final Optional<OverlayPeers> overlay;
    private final PeerWitness witness;
    private final VmNodeBackend backend;
    private final Status status;
    private final Path podRecords;
    private volatile boolean closing;
    private final Optional<Thread> etcdWatch;
    private final FunctionService functions;
    private final ClusterPorts ports;

    private ClusterMode(Optional<EtcdProcess> etcd, KvStore kv, ClusterApiServer api, LeaderElection election,
                        AtomicReference<ControlPlane> control, HostRuntime runtime, VmNodeBackend backend,
                        Optional<OverlayPeers> overlay, PeerWitness witness, Status status, Path podRecords,
                        FunctionService functions, ClusterPorts ports) {
        this.ports = ports;
        this.functions = functions;
        this.witness = witness;
        this.etcd = etcd;
        this.kv = kv;
        this.api = api;
        this.election = election;
        this.control = control;
        this.overlay = overlay;
        this.runtime = runtime;
        this.backend = backend;
        this.status = status;
        this.podRecords = podRecords;
        this.etcdWatch = etcd.map(e -> Thread.ofPlatform().daemon().name("kiln-etcd-watch").start(() -> superviseEtcd(e)));
    }

    /**
     * Keeps kiln's own etcd running: should it exit while the cluster is up, it is started again (same data, same
     * ports) after 1 s, then with a doubling pause up to 30 s while it keeps failing. Meanwhile the store's calls fail
     * with UNAVAILABLE and every loop retries, so work resumes when etcd is back; nothing is lost, as etcd keeps its
     * data on disk.
     */
    private void superviseEtcd(EtcdProcess e) {
        long pause = 1000;
        while (!closing) {
            try {
                Thread.sleep(500);
                if (closing || e.isAlive()) {
                    pause = 1000;
                    continue;
                }
                LOG.warn("etcd (pid {}) exited while the cluster is up; starting it again in {} ms", e.pid(), pause);
                Thread.sleep(pause);
                if (closing) {
                    return;
                }
                e.restart();
                LOG.info("etcd is back (pid {})", e.pid());
            } catch (InterruptedException ie) {
                return;
            } catch (RuntimeException re) {
                LOG.warn("etcd did not start again: {}", re.getMessage());
                pause = Math.min(30_000, pause * 2);
            }
        }
    }

    public Status status() {
        Optional<String> leader = LeaderElection.leader(kv);
        return new Status(status.host(), status.etcd(), status.ownEtcd(), status.api(), status.since(), leader,
                election.leading(), status.address(), status.subnet());
    }

    /** Starts every part; on any failure, what was started is stopped again and the error says what failed. */
    public static ClusterMode start(Path stateDir, ClusterOptions options, VmService vms, ContainerService containers,
                                    HostNetwork network, ImageStore images, int registryPort,
                                    dev.kiln.host.GuestGateway gateway, Clock clock) {
        Path dir = stateDir.resolve("cluster");
        Optional<EtcdProcess> etcd = Optional.empty();
        KvStore kv = null;
        ClusterApiServer api = null;
        LeaderElection election = null;
        AtomicReference<ControlPlane> control = new AtomicReference<>();
        VmNodeBackend backend = null;
        Optional<OverlayPeers> overlay = Optional.empty();
        PeerWitness witness = null;
        FunctionService functions = null;
        ClusterSecrets secrets = null;
        ClusterPorts ports = null;
        try {
            Files.createDirectories(dir);
            List<URI> endpoints;
            Optional<EtcdTls> etcdTls;
            if (options.etcd().isPresent() && !options.etcd().get().isEmpty()) {
                endpoints = options.etcd().get();
                etcdTls = options.etcdTls();
            } else {
                Path data = dir.resolve("etcd");
                for (ProcessHandle orphan : EtcdProcess.running(data)) {
                    LOG.info("stopping etcd pid {} left by an earlier daemon", orphan.pid());
                    orphan.destroy();
                    orphan.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                }
                int port = options.etcdPort().orElse(ClusterOptions.DEFAULT_ETCD_PORT);
                // kiln's own etcd speaks TLS and lets in only holders of this host's client certificate (root-only)
                EtcdPki pki = EtcdPki.ensure(dir.resolve(ETCD_PKI), List.of());
                LOG.info("starting etcd (data in {}, client port {}, TLS with the authority in {})", data, port,
                        pki.directory());
                etcd = Optional.of(EtcdProcess.start(data, port, port + 1, STORE_WAIT, dir.resolve("etcd.log"),
                        Optional.of(pki)));
                endpoints = List.of(etcd.get().endpoint());
                etcdTls = etcd.get().tls();
            }
            if (etcdTls.isEmpty()) {
                LOG.warn("etcd at {} is used without TLS: whoever reaches it can read the cluster's secrets and "
                        + "change its state (give https:// endpoints and --etcd-cacert, --etcd-cert, --etcd-key)",
                        endpoints);
            }
            kv = connect(endpoints, etcdTls);
            // no guest of this host may reach etcd (through this host's masquerade), whatever its authentication
            network.protectControlEndpoints(socketAddresses(endpoints));
            secrets = ClusterSecrets.establish(stateDir, kv, options.apiTokenFile().map(Path::of),
                    options.lambdaCredentialsFile().map(Path::of)).start();
            // no two tenants of the cluster share an overlay tag: claimed before any VM of a tenant is made here
            TenantTags tenantTags = new TenantTags(kv);
            java.util.Set<String> tenants = new java.util.TreeSet<>(vms.tenants());
            tenants.add(dev.kiln.net.GuestPolicy.DEFAULT_TENANT); // the cluster's own node VMs and function slots
            tenantTags.claimAll(tenants);
            vms.tenantAdmission(tenantTags::claim);
            ResourceStore store = new ResourceStore(kv, clock);
            String host = options.hostName().orElseGet(ClusterMode::machineName);
            String address = options.advertise().orElseGet(ClusterMode::address);
            String subnet = network.config().clusterCidr().isPresent() ? network.config().subnet().toString() : "";
            String clusterCidr = network.config().clusterCidr().map(Object::toString).orElse("");
            // before anything starts: a subnet another host has (or outside the cluster CIDR), or a cluster CIDR
            // other than the other hosts', does not join
            SubnetCheck.require(host, subnet, clusterCidr, store.list(Host.class));
            if (network.config().clusterCidr().isPresent()) {
                overlay = Optional.of(OverlayPeers.start(network.config(), address, store, host));
            }
            int apiPort = options.apiPort().orElse(ClusterOptions.DEFAULT_API_PORT);
            witness = new PeerWitness(store, host, apiPort, registryPort).start();
            PeerImages peerImages = new PeerImages(images, witness::registries, dir.resolve("pulls"));
            backend = new VmNodeBackend(vms, containers, new PodRecords(dir.resolve("pods.json")),
                    dir.resolve("nodes.json"), options.warmPool().orElse(ClusterOptions.DEFAULT_WARM_POOL),
                    options.warmPoolMax().orElse(options.warmPool().orElse(ClusterOptions.DEFAULT_WARM_POOL)),
                    capacity(options.cpuOvercommit().orElse(4)), address, subnet, clusterCidr,
                    apiPort, Map.of("kiln.dev/hostname", host), peerImages::ensure);
            functions = functions(dir.resolve("functions"), new dev.kiln.host.fn.KvFunctionStore(kv), vms, images,
                    peerImages, "http://" + network.config().subnet().gateway() + ":" + registryPort, clock,
                    options.functionPool().orElse(ClusterOptions.DEFAULT_FUNCTION_POOL),
                    options.functionSnapshots().orElse(true), options.functionCpuShare().orElse(true));
            functions.routeWith(new PeerFunctions(host, witness::apis, secrets::token));
            String apiHost = options.apiHost().orElse("127.0.0.1");
            LambdaApi lambda = new LambdaApi(functions, "http://" + (apiHost.contains(":") ? "[" + apiHost + "]"
                    : apiHost) + ":" + apiPort);
            // the Lambda API takes the bearer token or a Signature Version 4 with the cluster's access key
            var signed = lambda.signed(new SigV4Verifier(secrets::credentials), clock);
            List<ClusterApiServer.Mount> mounts = new java.util.ArrayList<>(LambdaApi.PREFIXES.stream()
                    .map(p -> new ClusterApiServer.Mount(p, signed, ClusterApiServer.Access.TOKEN_OR_OWN)).toList());
            // this host's guest images, for hosts that join later (PeerGuestImages)
            mounts.add(new ClusterApiServer.Mount(GuestImageHandler.PREFIX,
                    new GuestImageHandler(vms.guestImage().directory().getParent().getParent())));
            api = ClusterApiServer.start(store, apiHost, apiPort, Optional.of(new ContainerPodLogs(containers)),
                    mounts, secrets::token);
            HostRuntime runtime = new HostRuntime(host, store, backend, clock, Duration.ofSeconds(1),
                    HostRuntime.DEFAULT_FENCE_AFTER, witness);
            runtime.register(); // checks the subnet again around its write (another host may be starting too)
            // the cluster's host ports: every host listens on each one a Running pod declares
            ports = new ClusterPorts(containers.forwarder(), host, (pod, reason, message) -> store.recordEvent(pod,
                    EventType.WARNING, reason, message, "host-ports/" + host));
            runtime.onEachPass(ports);
            runtime.start();
            election = new LeaderElection(kv, host, LEADER_TTL, clock, new LeaderElection.Listener() {
                @Override
                public void elected() {
                    ControlPlane next = new ControlPlane(store, clock, ControlConfig.defaults());
                    next.start();
                    Optional.ofNullable(control.getAndSet(next)).ifPresent(ControlPlane::close);
                }

                @Override
                public void deposed(String why) {
                    Optional.ofNullable(control.getAndSet(null)).ifPresent(ControlPlane::close);
                }
            });
            election.step();
            election.start();
            Status status = new Status(host, endpoints, etcd.isPresent(), api.uri(), clock.instant(),
                    Optional.empty(), false, address, subnet);
            LOG.info("cluster: host {} ({}) joined; API at {}, etcd at {}; {}", host, address, api.uri(), endpoints,
                    election.leading() ? "it leads the control plane" : "standing by as a control-plane replica");
            // guests of this host invoke functions (function-to-function calls) through the gateway on the bridge
            gateway.lambda(Optional.of(lambda));
            ClusterMode mode = new ClusterMode(etcd, kv, api, election, control, runtime, backend, overlay, witness,
                    status, dir.resolve("pods.json"), functions, ports);
            mode.gateway = gateway;
            mode.secrets = secrets;
            mode.network = network;
            mode.vms = vms;
            return mode;
        } catch (Exception e) {
            gateway.lambda(Optional.empty());
            vms.tenantAdmission(tenant -> { });
            unprotect(network);
            if (ports != null) ports.close();
            if (election != null) election.close();
            Optional.ofNullable(control.get()).ifPresent(ControlPlane::close);
            overlay.ifPresent(OverlayPeers::close);
            if (witness != null) witness.close();
            if (api != null) api.close();
            if (functions != null) functions.close();
            if (backend != null) backend.close();
            if (secrets != null) secrets.close();
            if (kv != null) closeQuietly(kv);
            etcd.ifPresent(EtcdProcess::stop);
            if (e instanceof ClusterException ce) {
                throw ce;
            }
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot start the cluster: " + e.getMessage(),
                    "see the daemon log", e);
        }
    }

    /**
     * The cluster's functions (in its store: every host sees them all) and this host's slots (microVMs named
     * {@code fn-...}). Slot VMs left by an earlier daemon are removed first: the slot manager starts with none, so
     * nothing else would ever remove them. Functions that an earlier kiln kept on this host's disk ({@code dir}) are
     * moved into the store.
     */
    private static FunctionService functions(Path dir, FunctionStore store, VmService vms, ImageStore images,
                                             PeerImages peerImages, String registryUrl, Clock clock, int pool,
                                             boolean snapshotsOn, boolean cpuShare) {
        moveIntoStore(dir, store);
        for (var vm : vms.list()) {
            if (VmSlotBackend.isSlot(vm.name())) {
                LOG.info("removing the function slot {} left by an earlier daemon", vm.name());
                try {
                    vms.remove(vm.name(), true);
                } catch (RuntimeException e) {
                    LOG.warn("removing {}: {}", vm.name(), e.getMessage());
                }
            }
        }
        ImageDisks disks = new ImageDisks(images, dir.resolveSibling("image-disks"), peerImages::ensure);
        Path snapshots = dir.resolveSibling("snapshots");
        if (Files.isDirectory(snapshots)) { // an earlier daemon's: their templates were removed above
            try (var walk = Files.walk(snapshots)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                LOG.warn("removing {}: {}", snapshots, e.getMessage());
            }
        }
        VmSlotBackend backend = new VmSlotBackend(vms, registryUrl, Optional.of(disks), Math.max(0, pool),
                Optional.of(snapshots));
        backend.autoSnapshot(snapshotsOn);
        backend.cpuShare(cpuShare);
        SlotManager slots = new SlotManager(backend, Clock.systemUTC(), SlotManager.Config.defaults());
        FunctionService functions = new FunctionService(store, slots, tag -> {
                    try {
                        peerImages.ensure(tag); // here already, or pulled from another host that has it
                        return true;
                    } catch (RuntimeException e) {
                        return false;
                    }
                },
                FunctionService.Settings.defaults(), clock, Duration.ofSeconds(10));
        functions.alsoClose(backend);
        functions.alsoReclaim(backend::trimPool);
        functions.exportMetrics(vms.meterRegistry());
        return functions;
    }

    private static void moveIntoStore(Path dir, FunctionStore store) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        FunctionStore files = FunctionStore.files(dir);
        for (var record : files.list()) {
            if (store.get(record.name()).isEmpty()) {
                byte[] code = files.code(record.name());
                store.create(record, code.length == 0 ? Optional.empty() : Optional.of(code));
                LOG.info("function {} moved from {} into the cluster store", record.name(), dir);
            }
            files.delete(record.name());
        }
    }

    /** The functions of this host (the Lambda-compatible API's state). */
    public FunctionService functions() {
        return functions;
    }

    /** Connects, retrying while etcd is not there yet, and fails with a clear message after {@link #STORE_WAIT}. */
    private static KvStore connect(List<URI> endpoints, Optional<EtcdTls> tls) throws InterruptedException {
        Instant deadline = Instant.now().plus(STORE_WAIT);
        KvStore kv = KvStore.etcd(endpoints, tls);
        while (true) {
            try {
                kv.revision();
                return kv;
            } catch (ClusterException e) {
                if (e.code() != ClusterError.UNAVAILABLE || Instant.now().isAfter(deadline)) {
                    closeQuietly(kv);
                    throw new ClusterException(ClusterError.UNAVAILABLE, "etcd at " + endpoints
                            + " did not answer within " + STORE_WAIT.toSeconds() + " s: " + e.getMessage(),
                            "check that etcd runs there (or leave out --etcd to let kiln start its own)", e);
                }
                LOG.info("waiting for etcd at {}: {}", endpoints, e.getMessage());
                Thread.sleep(1000);
            }
        }
    }

    private static void closeQuietly(KvStore kv) {
        try {
            kv.close();
        } catch (Exception e) {
            LOG.debug("closing the store: {}", e.getMessage());
        }
    }

    static String machineName() {
        try {
            String name = InetAddress.getLocalHost().getHostName().toLowerCase().replaceAll("[^a-z0-9-]", "-");
            return name.replaceAll("^-+|-+$", "").isEmpty() ? "host" : name.replaceAll("^-+|-+$", "");
        } catch (IOException e) {
            return "host";
        }
    }

    private static String address() {
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (IOException e) {
            return "127.0.0.1";
        }
    }

    /** CPUs (times the overcommit) and memory less 1 GiB for the host itself. */
    static Resources capacity(int cpuOvercommit) {
        long cpus = Runtime.getRuntime().availableProcessors() * 1000L * Math.max(1, cpuOvercommit);
        long memory = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memory = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            memory = 0;
        }
        return new Resources(cpus, Math.max(0, memory - (1L << 30)));
    }

    /** Leaves the cluster and removes this host's node VMs and their pods. */
    public void down(VmService vms) {
        close();
        overlay.ifPresent(OverlayPeers::remove);
        try {
            Files.deleteIfExists(podRecords);
            Files.deleteIfExists(podRecords.resolveSibling("nodes.json"));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", podRecords, e.getMessage());
        }
        for (var vm : vms.list()) {
            if (vm.name().startsWith(VmNodeBackend.VM_PREFIX) || vm.name().startsWith(WarmPool.PREFIX)
                    || VmSlotBackend.isSlot(vm.name())) {
                try {
                    vms.remove(vm.name(), true);
                } catch (RuntimeException e) {
                    LOG.warn("removing {}: {}", vm.name(), e.getMessage());
                }
            }
        }
    }

    /**
     * The endpoints' addresses as IPv4 socket addresses (a name is resolved now; one that does not resolve, or has
     * no IPv4 address, is left out: the overlay and etcd client use what resolves).
     */
    static List<java.net.InetSocketAddress> socketAddresses(List<URI> endpoints) {
        List<java.net.InetSocketAddress> out = new java.util.ArrayList<>();
        for (URI e : endpoints) {
            if (e.getHost() == null) {
                continue;
            }
            int port = e.getPort() > 0 ? e.getPort() : 2379;
            try {
                for (java.net.InetAddress a : java.net.InetAddress.getAllByName(e.getHost())) {
                    if (a instanceof java.net.Inet4Address) {
                        out.add(new java.net.InetSocketAddress(a, port));
                    }
                }
            } catch (java.net.UnknownHostException ex) {
                LOG.warn("cannot resolve etcd endpoint {} to keep guests from it: {}", e, ex.getMessage());
            }
        }
        return out;
    }

    private static void unprotect(HostNetwork network) {
        try {
            network.protectControlEndpoints(List.of());
        } catch (RuntimeException ex) {
            LOG.warn("cannot clear the cluster store endpoints from the guest rules: {}", ex.getMessage());
        }
    }

    /** Where this host's guests reach its Lambda API; set once started. */
    private dev.kiln.host.GuestGateway gateway;
    /** The network whose guests are kept from the cluster store; set once started. */
    private HostNetwork network;
    /** The cluster's API token and Lambda access key, read again from the store every few seconds. */
    private ClusterSecrets secrets;
    /** This host's VMs, whose tenants are checked against the cluster's tags while it is a member; set once started. */
    private VmService vms;

    @Override
    public void close() {
        closing = true;
        etcdWatch.ifPresent(t -> {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        runtime.close();
        ports.close();
        witness.close();
        election.close();
        Optional.ofNullable(control.getAndSet(null)).ifPresent(ControlPlane::close);
        overlay.ifPresent(OverlayPeers::close);
        gateway.lambda(Optional.empty());
        api.close();
        functions.close();
        backend.close();
        secrets.close();
        if (vms != null) {
            vms.tenantAdmission(tenant -> { });
        }
        closeQuietly(kv);
        etcd.ifPresent(EtcdProcess::stop);
        if (network != null) {
            unprotect(network);
        }
        LOG.info("cluster: host {} stopped its cluster services", status.host());
    }
}
