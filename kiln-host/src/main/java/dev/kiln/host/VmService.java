package dev.kiln.host;

import dev.kiln.api.RateLimiter;
import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.guest.ScratchDisk;
import dev.kiln.net.HostNetwork;
import dev.kiln.net.VmNetwork;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmStatus;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every VM on this host: creates them step by step (network, disks, VMM, readiness), undoing what was done
 * when a step fails; watches them; removes them with everything they had; re-adopts them after a restart.
 */
public final class VmService implements AutoCloseable {
    /** A VM's scratch disk in its directory (removed with it). */
    static final String SCRATCH_FILE = "scratch.ext4";
    private static final Logger LOG = LoggerFactory.getLogger(VmService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HostConfig config;
    private final Clock clock;
    private final VmStore store;
    private final HostNetwork network;
    private final Map<String, VmmDriver> drivers;
    private final String autoDriver;
    /** Set by {@link #close()}: background boot watchers then persist nothing more. */
    private volatile boolean closed;
    /** Why 'auto' means {@link #autoDriver} here (from the daemon's driver selection). */
    private final String autoReason;
    private final GuestImage image;
    private final GuestClient guest;
    private final HostMetrics metrics;
    private final Map<String, VmRecord> records = new ConcurrentHashMap<>();
    private final Object nameLock = new Object();
    /** Per VM being created: what the steps before the boot measured, until it is ready. */
    private final Map<String, BootWatch.Started> startTimes = new ConcurrentHashMap<>();

    VmService(HostConfig config, Clock clock, VmStore store, HostNetwork network, Map<String, VmmDriver> drivers,
              String autoDriver, String autoReason, GuestImage image, GuestClient guest, HostMetrics metrics) {
        this.config = config;
        this.clock = clock;
        this.store = store;
        this.network = network;
        this.drivers = Map.copyOf(drivers);
        this.autoDriver = autoDriver;
        this.autoReason = autoReason;
        this.image = image;
        this.guest = guest;
        this.metrics = metrics;
        metrics.bindPhases(this::phaseCounts);
    }

    // ---- create ----------------------------------------------------------------------------------------------

    /** The guest image this service boots its VMs from. */
    public GuestImage guestImage() {
        return image;
    }

    public VmView create(VmCreateRequest req, boolean wait) {
        VmId id = VmId.random();
        String name = req.name().orElse("vm-" + id.value().substring(0, 6));
        int vcpus = req.vcpus().orElse(1);
        ByteSize memory = ByteSize.parse(req.memory().orElse("256M"));
        String driverName = req.driver().orElse("auto");
        VmmDriver driver = driverFor(driverName);
        Duration bootTimeout = req.bootTimeout().map(Durations::parse).orElse(config.bootTimeout());
        List<DiskRequest> disks = req.disks().orElse(List.of());
        RateLimiter diskLimit = req.diskRate().map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
        List<DriveSpec> drives = new ArrayList<>();
        drives.add(DriveSpec.of("root", image.rootfs(), true));
        for (int i = 0; i < disks.size(); i++) {
            DiskRequest d = disks.get(i);
            Path p = Path.of(d.path());
            if (!p.isAbsolute()) {
                throw new HostException(HostError.INVALID_SPEC, "disk path '" + d.path() + "' is not absolute", "give the full path");
            }
            if (!Files.isRegularFile(p)) {
                throw new HostException(HostError.FILE_NOT_FOUND, "disk file " + p + " does not exist", "check the path");
            }
            drives.add(new DriveSpec("vd" + (char) ('b' + i), p, d.readOnly(), diskLimit));
        }
        long scratchBytes = req.scratch().map(t -> ByteSize.parse(t).bytes()).orElse(config.scratchBytes());
        if (scratchBytes < ScratchDisk.MIN_BYTES) {
            throw new HostException(HostError.INVALID_SPEC, "a scratch disk of " + req.scratch().orElse("") + " is too small",
                    "give at least " + (ScratchDisk.MIN_BYTES >> 20) + "M");
        }
        dev.kiln.net.NicLimits nicLimits = NetLimits.toNet(req.netRate());
        tenantAdmission.accept(guestPolicy(req).tenant()); // in a cluster: no two tenants share an overlay tag
        // Validate everything that needs no side effect before any host resource is made.
        boolean hugePages = req.hugePages().orElse(false);
        new VmSpec(id, name, vcpus, memory, image.kernel(), Optional.of(image.initrd()), "", drives, List.of())
                .withHugePages(hugePages);
        if (hugePages) {
            dev.kiln.vmm.HugePages.read().check(memory);
        }

        Instant created = clock.instant();
        synchronized (nameLock) {
            if (find(name).isPresent()) {
                throw new HostException(HostError.NAME_TAKEN, "a VM named '" + name + "' already exists",
                        "choose another --name or remove it with 'kiln vm rm " + name + "'");
            }
            VmRecord reserved = new VmRecord(id.value(), name, driver.name(), vcpus, memory.toString(), disks, req.netRate(),
                    req.diskRate(), "", "", "", 0, "", "", "", Optional.empty(), created, Optional.empty(), Optional.empty(),
                    Optional.empty(), "creating", Optional.empty(), hugePages);
            records.put(id.value(), reserved);
        }
        VmRecord rec;
        try {
            rec = launch(id, name, vcpus, memory, driver, drives, nicLimits, req, disks, created);
        } catch (RuntimeException e) {
            records.remove(id.value());
            metrics.failure("start");
            throw HostException.from(e);
        }
        Thread waiter = Thread.ofVirtual().name("boot-" + name).unstarted(() -> awaitReady(rec, driver, bootTimeout, !wait));
        if (!wait) {
            waiter.start();
            return view(id.value());
        }
        BootWatch.Result result = awaitReady(rec, driver, bootTimeout, false);
        if (result instanceof BootWatch.Result.Failed f) {
            LOG.info("VM {} failed to boot: {}", name, f.message());
            removeQuietly(id.value());
            throw new HostException(HostError.BOOT_FAILED, f.message(), "see the console output above; fix the cause and retry");
        }
        return view(id.value());
    }

    private VmRecord launch(VmId id, String name, int vcpus, ByteSize memory, VmmDriver driver, List<DriveSpec> drives,
                            dev.kiln.net.NicLimits nicLimits, VmCreateRequest req, List<DiskRequest> disks, Instant created) {
        Path dir = store.dirOf(id.value());
        VmNetwork net = null;
        try {
            long t0 = System.nanoTime();
            net = network.attach(id.value(), nicLimits, guestPolicy(req));
            long networkMs = (System.nanoTime() - t0) / 1_000_000;
            String token = HexFormat.of().formatHex(randomBytes(16));
            Files.createDirectories(dir);
            Path scratch = dir.resolve(SCRATCH_FILE);
            ScratchDisk.create(scratch, req.scratch().map(t -> ByteSize.parse(t).bytes()).orElse(config.scratchBytes()));
            String scratchDevice = GuestProtocol.diskName(drives.size());
            drives = new ArrayList<>(drives);
            drives.add(new DriveSpec(scratchDevice, scratch, false,
                    req.diskRate().map(RateLimiterJson::toLimiter).orElse(RateLimiter.none())));
            String boot = String.join(" ",
                    GuestProtocol.CMDLINE_ID + "=" + id.value(),
                    GuestProtocol.CMDLINE_IP + "=" + net.address(),
                    GuestProtocol.CMDLINE_GATEWAY + "=" + net.gateway(),
                    GuestProtocol.CMDLINE_TOKEN + "=" + token,
                    GuestProtocol.CMDLINE_HOSTNAME + "=" + name,
                    GuestProtocol.CMDLINE_SCRATCH + "=" + scratchDevice);
            int mtu = network.guestMtu();
            if (mtu < 1500) {
                boot += " " + GuestProtocol.CMDLINE_MTU + "=" + mtu;
            }
            NicSpec nic = new NicSpec("net0", net.tapName(), net.mac().value(),
                    NetLimits.rx(req.netRate()), NetLimits.tx(req.netRate()));
            VmSpec spec = new VmSpec(id, name, vcpus, memory, image.kernel(), Optional.of(image.initrd()), boot, drives,
                    List.of(nic)).withHugePages(req.hugePages().orElse(false));
            VmRecord rec = new VmRecord(id.value(), name, driver.name(), vcpus, memory.toString(), disks, req.netRate(),
                    req.diskRate(), net.tapName(), net.mac().value(), net.address().address(), net.address().prefixLength(),
                    net.gateway(), net.bridge(), token, Optional.empty(), created, Optional.empty(), Optional.empty(),
                    Optional.empty(), "booting", Optional.empty(), spec.hugePages());
            store.save(rec);
            long t1 = System.nanoTime();
            VmHandle handle = driver.start(spec, dir);
            startTimes.put(id.value(), new BootWatch.Started(t0, networkMs, (System.nanoTime() - t1) / 1_000_000));
            rec = rec.withHandle(handle);
            store.save(rec);
            records.put(id.value(), rec);
            watchExit(id.value(), driver);
            return rec;
        } catch (RuntimeException | java.io.IOException e) {
            if (net != null) network.detach(id.value());
            try {
                VmStore.deleteTree(dir);
            } catch (RuntimeException cleanup) {
                LOG.warn("cleanup of {} failed: {}", dir, cleanup.getMessage());
            }
            if (e instanceof RuntimeException re) throw re;
            throw new HostException(HostError.HOST_ERROR, "cannot create " + dir + ": " + e.getMessage(), "check the disk", e);
        }
    }

    private BootWatch.Result awaitReady(VmRecord rec, VmmDriver driver, Duration timeout, boolean markFailure) {
        BootWatch.Started started = startTimes.getOrDefault(rec.id(), new BootWatch.Started(System.nanoTime(), 0, 0));
        BootWatch.Result result = BootWatch.await(rec, driver, timeout, started, image.agent());
        switch (result) {
            case BootWatch.Result.Ready r -> {
                if (closed) {
                    return result; // the daemon went away while this VM booted; the next one re-adopts it
                }
                records.computeIfPresent(rec.id(), (k, cur) -> {
                    VmRecord next = cur.withReady(clock.instant(), r.millis(), r.phases());
                    store.save(next);
                    return next;
                });
                metrics.bootTime(Duration.ofMillis(r.millis()));
                LOG.info("VM {} ready in {} ms ({})", rec.name(), r.millis(), r.phases());
            }
            case BootWatch.Result.Failed f -> {
                metrics.failure("boot");
                // not removed while it booted, and this service still owns it (after close, the next daemon does)
                if (markFailure && !closed && records.containsKey(rec.id())) {
                    try {
                        if (!driver.await(new VmId(rec.id())).isDone()) driver.kill(new VmId(rec.id()));
                    } catch (VmmException e) {
                        LOG.debug("VM {} went away while its boot failed: {}", rec.name(), e.getMessage());
                    }
                    update(rec.id(), cur -> cur.withPhase("failed", Optional.of(f.message())));
                }
            }
        }
        startTimes.remove(rec.id());
        return result;
    }

    private void watchExit(String id, VmmDriver driver) {
        driver.await(new VmId(id)).thenAccept(end -> {
            Optional<String> name = Optional.ofNullable(records.get(id)).map(VmRecord::name);
            cpu.ifPresent(c -> c.remove(id));
            update(id, cur -> cur.withPhase(end.label(), Optional.of(end.describe())));
            if (end instanceof VmPhase.Failed) metrics.failure("died");
            LOG.info("VM {} ended: {}", id, end.describe());
            if (!closed) {
                name.ifPresent(n -> tellEnded(new Ended(id, n, end.label(), end.describe())));
            }
        });
    }

    /** A VM whose VMM process ended ({@code phase}: "stopped" or "failed"; {@code why}: the driver's account). */
    public record Ended(String id, String name, String phase, String why) {}

    private final List<java.util.function.Consumer<Ended>> endListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Tells {@code listener} whenever a VMM process ends, the moment the driver sees it (a crash, a kill, a guest
     * power-off, and also a removal), on a virtual thread of its own, after the VM's record shows the end.
     */
    public Subscription onEnded(java.util.function.Consumer<Ended> listener) {
        endListeners.add(listener);
        return () -> endListeners.remove(listener);
    }

    /** A registered listener; closing it stops the calls. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private void tellEnded(Ended ended) {
        for (var l : endListeners) {
            Thread.ofVirtual().name("vm-ended-" + ended.name()).start(() -> {
                try {
                    l.accept(ended);
                } catch (RuntimeException e) {
                    LOG.warn("a listener of VM {}'s end failed", ended.name(), e);
                }
            });
        }
    }


    // ---- snapshots and clones ---------------------------------------------------------------------------------

    private final Optional<CpuCgroups> cpu = CpuCgroups.detect();
    private final Map<String, Object> templateLocks = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Snapshots a running VM into {@code dir}: it is paused, its memory and device state are written, its scratch
     * disk copied (sparse) at the same moment, and it stays paused: it is the template of the clones, and keeps its
     * address and tap while they exist. Remove it (and {@code dir}) when no clone will be made any more.
     */
    public VmSnapshot snapshot(String nameOrId, Path dir) {
        VmRecord r = requireStarted(nameOrId);
        VmmDriver d = driver(r);
        dev.kiln.vmm.Snapshots snapshots = d.snapshots().orElseThrow(() -> new HostException(HostError.INVALID_SPEC,
                "the " + d.name() + " driver cannot snapshot VMs on this host", "use the QEMU driver"));
        try {
            java.nio.file.Files.createDirectories(dir);
            new AgentClient(r.ip(), r.token()).prepareIdentity();
            dev.kiln.vmm.Snapshots.SnapshotFiles files = snapshots.createSnapshotAndPause(new VmId(r.id()),
                    dev.kiln.vmm.Snapshots.SnapshotFiles.in(dir));
            Path scratch = dir.resolve(SCRATCH_FILE);
            copySparse(store.dirOf(r.id()).resolve(SCRATCH_FILE), scratch);
            List<DriveSpec> drives = new ArrayList<>();
            drives.add(DriveSpec.of("root", image.rootfs(), true));
            RateLimiter diskLimit = r.diskRate().map(RateLimiterJson::toLimiter).orElse(RateLimiter.none());
            for (int i = 0; i < r.disks().size(); i++) {
                DiskRequest disk = r.disks().get(i);
                drives.add(new DriveSpec("vd" + (char) ('b' + i), Path.of(disk.path()), disk.readOnly(), diskLimit));
            }
            drives.add(new DriveSpec(GuestProtocol.diskName(drives.size()), scratch, false, diskLimit));
            LOG.info("VM {} snapshotted into {} (kept paused as the template of its clones)", r.name(), dir);
            return new VmSnapshot(r.id(), r.name(), dir, files, scratch, drives, r.vcpus(), r.memory(), r.driver(),
                    r.ip(), r.token(), r.mac(), r.tap(), r.hugePages(),
                    network.policy(r.id()).orElseGet(dev.kiln.net.GuestPolicy::defaults));
        } catch (java.io.IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot write the snapshot of " + r.name() + " to " + dir
                    + ": " + e.getMessage(), "check free space there");
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    /**
     * Starts a clone of a snapshot as a new VM named {@code name}: its own tap, address and MAC, a copy of the
     * template's scratch disk, the snapshot's memory loaded, and then (under the template's lock, because until then
     * the clone answers at the template's address) the guest's agent is told its new address, MAC, the clock and
     * fresh entropy. The clone keeps the template's agent token. Returns when the agent answers at the new address.
     *
     * @param phases filled with the restore's phases in ms: network, vmmRestore (QEMU start and the memory loaded),
     *               identity (new address and MAC, until the agent answers there)
     */
    public VmView restore(VmSnapshot snap, String name, java.util.SequencedMap<String, Long> phases) {
        VmmDriver driver = driverFor(snap.driver());
        dev.kiln.vmm.Snapshots snapshots = driver.snapshots().orElseThrow(() -> new HostException(
                HostError.INVALID_SPEC, "the " + driver.name() + " driver cannot restore snapshots", ""));
        VmId id = VmId.random();
        Instant created = clock.instant();
        synchronized (nameLock) {
            if (find(name).isPresent()) {
                throw new HostException(HostError.NAME_TAKEN, "a VM named '" + name + "' already exists",
                        "choose another name");
            }
            records.put(id.value(), new VmRecord(id.value(), name, driver.name(), snap.vcpus(), snap.memory(),
                    List.of(), Optional.empty(), Optional.empty(), "", "", "", 0, "", "", "", Optional.empty(), created,
                    Optional.empty(), Optional.empty(), Optional.empty(), "creating", Optional.empty(), snap.hugePages()));
        }
        Path dir = store.dirOf(id.value());
        VmNetwork net = null;
        long t0 = System.nanoTime();
        synchronized (templateLocks.computeIfAbsent(snap.templateId(), k -> new Object())) {
            try {
                // the clone is the template's guest: it keeps its tenant and egress policy
                net = network.attach(id.value(), dev.kiln.net.NicLimits.none(), snap.policy());
                phases.put("network", (System.nanoTime() - t0) / 1_000_000);
                java.nio.file.Files.createDirectories(dir);
                List<DriveSpec> drives = new ArrayList<>(snap.drives());
                DriveSpec last = drives.removeLast();
                Path scratch = dir.resolve(SCRATCH_FILE);
                copySparse(snap.scratch(), scratch);
                drives.add(new DriveSpec(last.id(), scratch, false, last.rateLimiter()));
                NicSpec nic = new NicSpec("net0", net.tapName(), net.mac().value(), RateLimiter.none(),
                        RateLimiter.none());
                VmSpec spec = new VmSpec(id, name, snap.vcpus(), ByteSize.parse(snap.memory()), image.kernel(),
                        Optional.of(image.initrd()), "", drives, List.of(nic)).withHugePages(snap.hugePages());
                VmRecord rec = new VmRecord(id.value(), name, driver.name(), snap.vcpus(), snap.memory(), List.of(),
                        Optional.empty(), Optional.empty(), net.tapName(), net.mac().value(), net.address().address(),
                        net.address().prefixLength(), net.gateway(), net.bridge(), snap.token(), Optional.empty(),
                        created, Optional.empty(), Optional.empty(), Optional.empty(), "booting", Optional.empty(),
                        snap.hugePages());
                store.save(rec);
                long t1 = System.nanoTime();
                VmHandle handle = snapshots.loadSnapshot(spec, dir, snap.files());
                rec = rec.withHandle(handle);
                store.save(rec);
                records.put(id.value(), rec);
                watchExit(id.value(), driver);
                phases.put("vmmRestore", (System.nanoTime() - t1) / 1_000_000);
                long t2 = System.nanoTime();
                // the bridge still sends the template's MAC to the port it last saw it on: the template's (paused)
                // tap or the previous clone's, which has its own MAC by now. Forget it on every port, so that frames
                // for this clone, which has that MAC until it takes its own, are flooded to it
                forgetFdbEntries(snap.mac(), net.bridge());
                // until it takes its own identity the clone sends as the template: the guest guard must let it
                network.lendIdentity(id.value(), new dev.kiln.net.MacAddress(snap.mac()), snap.ip());
                byte[] entropy = randomBytes(64);
                new AgentClient(snap.ip(), snap.token()).identity(new dev.kiln.api.agent.GuestIdentityChange(
                        net.address().toString(), net.gateway(), net.mac().value(), clock.millis(),
                        HexFormat.of().formatHex(entropy)));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                // short tries: a try sent before the guest has its new address waits for nothing until its timeout
                while (!AgentClient.healthy(net.address().address(), Duration.ofMillis(250))) {
                    if (System.nanoTime() > deadline) {
                        throw new HostException(HostError.BOOT_FAILED, "the clone " + name + " did not answer at "
                                + net.address().address() + " within 60 s after taking its identity",
                                "see its console log and the agent's output");
                    }
                    Thread.sleep(20);
                }
                network.returnIdentity(id.value());
                phases.put("identity", (System.nanoTime() - t2) / 1_000_000);
                long total = (System.nanoTime() - t0) / 1_000_000;
                VmRecord ready = rec.withReady(clock.instant(), total, new BootPhases(phases.getOrDefault("network",
                        0L), phases.get("vmmRestore"), 0, 0, phases.get("identity")));
                records.put(id.value(), ready);
                store.save(ready);
                LOG.info("VM {} restored from the snapshot of {} in {} ms ({})", name, snap.templateName(), total,
                        phases);
                return view(id.value());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                removeQuietly(id.value());
                throw new HostException(HostError.TIMEOUT, "interrupted while restoring " + name, "");
            } catch (RuntimeException | java.io.IOException e) {
                LOG.warn("restoring {} failed: {}\n--- its VMM log ---\n{}\n--- its console ---\n{}", name,
                        e.getMessage(), dev.kiln.vmm.ProcStat.tail(dir.resolve("vmm.log"), 20),
                        dev.kiln.vmm.ProcStat.tail(dir.resolve("console.log"), 20));
                if (records.get(id.value()) != null && records.get(id.value()).handle().isPresent()) {
                    removeQuietly(id.value());
                } else {
                    if (net != null) network.detach(id.value());
                    records.remove(id.value());
                    try {
                        VmStore.deleteTree(dir);
                    } catch (RuntimeException cleanup) {
                        LOG.warn("cleanup of {} failed: {}", dir, cleanup.getMessage());
                    }
                }
                if (e instanceof RuntimeException re) throw HostException.from(re);
                throw new HostException(HostError.HOST_ERROR, "cannot restore " + name + ": " + e.getMessage(),
                        "check free space");
            }
        }
    }

    /**
     * The request's tenant and egress policy for the VM's network ({@code default} and {@code allow} unless given).
     *
     * @throws HostException {@link HostError#INVALID_SPEC} for a malformed tenant or an egress other than allow/deny
     */
    static dev.kiln.net.GuestPolicy guestPolicy(VmCreateRequest req) {
        return guestPolicy(req.tenant(), req.egress());
    }

    /**
     * A tenant and egress policy as a request gives them (a VM's, or a container's fresh VM's); {@code default} and
     * {@code allow} unless given.
     *
     * @throws HostException {@link HostError#INVALID_SPEC} for a malformed tenant or an egress other than allow/deny
     */
    static dev.kiln.net.GuestPolicy guestPolicy(Optional<String> tenant, Optional<String> egress) {
        try {
            return new dev.kiln.net.GuestPolicy(tenant.orElse(dev.kiln.net.GuestPolicy.DEFAULT_TENANT),
                    egress.map(dev.kiln.net.GuestPolicy.Egress::parse).orElse(dev.kiln.net.GuestPolicy.Egress.ALLOW));
        } catch (dev.kiln.net.NetException e) {
            throw HostException.from(e);
        }
    }

    /** Deletes the bridge's forwarding entries for {@code mac}, on whichever ports it learned them. */
    private static void forgetFdbEntries(String mac, String bridge) {
        try {
            Process show = new ProcessBuilder("bridge", "fdb", "show", "br", bridge).redirectErrorStream(true).start();
            List<String> lines = new String(show.getInputStream().readAllBytes()).lines().toList();
            show.waitFor();
            for (String line : lines) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].equalsIgnoreCase(mac) && f[1].equals("dev")) {
                    Process del = new ProcessBuilder("bridge", "fdb", "del", mac, "dev", f[2], "master")
                            .redirectErrorStream(true).start();
                    String out = new String(del.getInputStream().readAllBytes()).strip();
                    if (del.waitFor() != 0) {
                        LOG.debug("bridge fdb del {} dev {}: {}", mac, f[2], out);
                    }
                }
            }
        } catch (java.io.IOException e) {
            LOG.debug("bridge fdb show br {}: {}", bridge, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copySparse(Path from, Path to) throws java.io.IOException {
        Process p = new ProcessBuilder("cp", "--sparse=always", from.toString(), to.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new java.io.IOException("cp " + from + " " + to + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted while copying " + from);
        }
    }

    // ---- queries -----------------------------------------------------------------------------------------------

    /** The daemon's metrics registry (scraped at GET /metrics), for the parts that add their own. */
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** What a new VM's tenant must pass (in a cluster, {@code TenantTags}); by default anything passes. */
    private volatile java.util.function.Consumer<String> tenantAdmission = tenant -> { };

    /**
     * Sets what each new VM's tenant must pass before anything is made for the VM: {@code admission} throws a
     * {@link HostException} to refuse it. Clones of a snapshot keep their template's (admitted) tenant.
     */
    public void tenantAdmission(java.util.function.Consumer<String> admission) {
        this.tenantAdmission = java.util.Objects.requireNonNull(admission, "admission");
    }

    /** The tenants of this host's VMs now (those with a network lease). */
    public java.util.Set<String> tenants() {
        java.util.Set<String> tenants = new java.util.TreeSet<>();
        for (VmRecord r : records.values()) {
            network.policy(r.id()).ifPresent(p -> tenants.add(p.tenant()));
        }
        return tenants;
    }

    public List<VmView> list() {
        // a VM removed while this lists is left out (not an error)
        return records.values().stream().sorted(Comparator.comparing(VmRecord::createdAt))
                .map(r -> Optional.ofNullable(records.get(r.id())).map(this::viewOf))
                .flatMap(Optional::stream).toList();
    }

    public VmView get(String nameOrId) {
        return view(require(nameOrId).id());
    }

    VmView view(String id) {
        VmRecord r = records.get(id);
        if (r == null) throw notFound(id);
        return viewOf(r);
    }

    private VmView viewOf(VmRecord r) {
        return VmView.of(r, livePhase(r), network.policy(r.id()),
                network.config().isolation() == dev.kiln.net.NetworkConfig.Isolation.ON);
    }

    /** The phase the API shows: the driver's view when it has one, "booting" until the guest is ready. */
    private String livePhase(VmRecord r) {
        Optional<VmmDriver> d = Optional.ofNullable(drivers.get(r.driver()));
        if (r.handle().isEmpty() || d.isEmpty()) return r.phase();
        try {
            VmStatus st = d.get().inspect(new VmId(r.id()));
            return switch (st.phase()) {
                case VmPhase.Starting s -> "booting";
                case VmPhase.Running run -> r.readyAt().isPresent() ? "running" : (r.phase().equals("failed") ? "failed" : "booting");
                default -> st.phase().label();
            };
        } catch (RuntimeException e) {
            return r.phase();
        }
    }

    private Map<String, Long> phaseCounts() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        for (VmRecord r : records.values()) counts.merge(livePhase(r), 1L, Long::sum);
        return counts;
    }

    // ---- addresses of the VM's guests (pods) ---------------------------------------------------------------------

    /**
     * Leases one more address of this host's subnet on the VM's tap, for {@code owner} (a pod in the guest): the
     * bridge guard then lets the VM send from it as well. The same owner gets the same address again.
     *
     * @return the address with the VM's prefix, e.g. {@code 10.90.1.9/16}
     */
    public String addAddress(String nameOrId, String owner) {
        VmRecord r = require(nameOrId);
        try {
            return network.addAddress(r.id(), owner) + "/" + r.prefixLength();
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    /** Ends {@link #addAddress}; idempotent, and a VM that is gone has released its addresses with its lease. */
    public void releaseAddress(String nameOrId, String owner) {
        find(nameOrId).ifPresent(r -> network.releaseAddress(r.id(), owner));
    }

    /** The VM's extra addresses, owner → address (no prefix). */
    public Map<String, String> addresses(String nameOrId) {
        return find(nameOrId).map(r -> network.addresses(r.id())).orElse(Map.of());
    }

    Optional<VmRecord> find(String nameOrId) {
        VmRecord byId = records.get(nameOrId);
        if (byId != null) return Optional.of(byId);
        return records.values().stream().filter(r -> r.name().equals(nameOrId)).findFirst();
    }

    VmRecord require(String nameOrId) {
        return find(nameOrId).orElseThrow(() -> notFound(nameOrId));
    }

    private static HostException notFound(String nameOrId) {
        return new HostException(HostError.VM_NOT_FOUND, "no VM named '" + nameOrId + "'", "list VMs with 'kiln vm ls'");
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    public VmView pause(String nameOrId) {
        VmRecord r = requireStarted(nameOrId);
        wrap(() -> driver(r).pause(new VmId(r.id())));
        return view(r.id());
    }

    public VmView resume(String nameOrId) {
        VmRecord r = requireStarted(nameOrId);
        wrap(() -> driver(r).resume(new VmId(r.id())));
        return view(r.id());
    }

    public VmView stop(String nameOrId, Duration timeout) {
        VmRecord r = requireStarted(nameOrId);
        wrap(() -> driver(r).stop(new VmId(r.id()), timeout));
        waitForRecordedEnd(r.id());
        return view(r.id());
    }

    /**
     * Limits a running VM's VMM to {@code cpus} CPUs of time (a cgroup quota: {@link CpuCgroups}); the limit goes
     * with the VM.
     *
     * @throws HostException HOST_ERROR when this host has no writable CPU controller
     */
    public void limitCpu(String nameOrId, double cpus) {
        VmRecord r = requireStarted(nameOrId);
        CpuCgroups c = cpu.orElseThrow(() -> new HostException(HostError.HOST_ERROR,
                "this host has no writable cpu cgroup controller", "mount it (cgroup v1 cpu or v2 with cpu)"));
        c.limit(r.id(), r.handle().orElseThrow().pid(), cpus);
        LOG.info("VM {} limited to {} CPUs", r.name(), String.format("%.3f", cpus));
    }

    /** The CPU controller kiln limits VMs with, when this host has one. */
    public Optional<CpuCgroups> cpuCgroups() {
        return cpu;
    }

    public VmView kill(String nameOrId) {
        VmRecord r = requireStarted(nameOrId);
        wrap(() -> driver(r).kill(new VmId(r.id())));
        waitForRecordedEnd(r.id());
        return view(r.id());
    }

    /** Removes a VM and everything it had: VMM, tap, IP lease, files. */
    public void remove(String nameOrId, boolean force) {
        VmRecord r = require(nameOrId);
        String phase = livePhase(r);
        boolean ended = phase.equals("stopped") || phase.equals("failed");
        if (!ended && !force) {
            throw new HostException(HostError.VM_RUNNING, "VM '" + r.name() + "' is " + phase,
                    "stop it first ('kiln vm stop " + r.name() + "') or remove it anyway with 'kiln vm rm -f " + r.name() + "'");
        }
        removeQuietly(r.id());
    }

    private void removeQuietly(String id) {
        VmRecord r = records.get(id);
        if (r == null) return;
        VmmDriver d = drivers.get(r.driver());
        if (d != null && r.handle().isPresent()) {
            try {
                d.destroy(new VmId(id));
            } catch (RuntimeException e) {
                LOG.warn("destroying VMM of {} failed: {}", r.name(), e.getMessage());
            }
        }
        network.detach(id);
        cpu.ifPresent(c -> c.remove(id));
        store.delete(id);
        records.remove(id);
        LOG.info("VM {} removed", r.name());
    }

    public GuestClient.ExecResult exec(String nameOrId, String command, Duration timeout) {
        VmRecord r = require(nameOrId);
        if (!livePhase(r).equals("running")) {
            throw new HostException(HostError.INVALID_PHASE, "VM '" + r.name() + "' is " + livePhase(r) + ", not running",
                    "exec needs a running, ready VM");
        }
        return guest.exec(r.ip(), r.token(), command, timeout);
    }

    public record Stats(long rssBytes, long cpuMillis, Map<String, VmStats.DriveStats> drives, Map<String, Long> net) {}

    public Stats stats(String nameOrId) {
        VmRecord r = requireStarted(nameOrId);
        VmStats s = wrapGet(() -> driver(r).stats(new VmId(r.id())));
        // The tap's rx is what the guest sent, its tx what the guest received.
        long guestTx = readLong(Path.of("/sys/class/net", r.tap(), "statistics", "rx_bytes"));
        long guestRx = readLong(Path.of("/sys/class/net", r.tap(), "statistics", "tx_bytes"));
        return new Stats(s.rssBytes(), s.cpuTime().toMillis(), s.drives(), Map.of("rxBytes", guestRx, "txBytes", guestTx));
    }

    public Path consoleLog(String nameOrId) {
        return store.dirOf(require(nameOrId).id()).resolve("console.log");
    }

    public boolean hasEnded(String nameOrId) {
        String p = livePhase(require(nameOrId));
        return p.equals("stopped") || p.equals("failed");
    }

    // ---- recovery ----------------------------------------------------------------------------------------------

    /** Re-adopts the VMs an earlier agent started; marks the ones that died meanwhile; sweeps what has no owner. */
    void recoverAll() {
        for (VmRecord r : store.loadAll()) {
            VmmDriver d = drivers.get(r.driver());
            if (r.handle().isEmpty() || d == null) {
                LOG.warn("VM {} has no handle or unknown driver {}; removing its leftovers", r.name(), r.driver());
                network.detach(r.id());
                store.delete(r.id());
                continue;
            }
            records.put(r.id(), r);
            if (r.phase().equals("stopped") || r.phase().equals("failed")) {
                continue;
            }
            try {
                VmStatus st = d.recover(r.handle().get());
                LOG.info("re-adopted VM {} ({}): {}", r.name(), r.id(), st.phase().label());
                if (st.phase().isTerminal()) {
                    update(r.id(), cur -> cur.withPhase(st.phase().label(), Optional.of(st.phase().describe())));
                } else {
                    watchExit(r.id(), d);
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot re-adopt VM {}: {}", r.name(), e.getMessage());
                update(r.id(), cur -> cur.withPhase("failed", Optional.of("could not be re-adopted: " + e.getMessage())));
            }
        }
        for (Path orphan : store.orphanDirs()) {
            LOG.info("removing orphan VM directory {}", orphan);
            VmStore.deleteTree(orphan);
        }
        var report = network.sweep(java.util.Set.copyOf(records.keySet()));
        LOG.info("network sweep: {}", report);
        cpu.ifPresent(c -> {
            List<String> removed = c.sweep(java.util.Set.copyOf(records.keySet()));
            if (!removed.isEmpty()) {
                LOG.info("removed the CPU cgroups of VMs gone meanwhile: {}", removed);
            }
        });
        dev.kiln.vmm.VmCgroups.detect().ifPresent(c -> {
            List<String> removed = c.sweep(java.util.Set.copyOf(records.keySet()));
            if (!removed.isEmpty()) {
                LOG.info("removed the VMM cgroups of VMs gone meanwhile: {}", removed);
            }
        });
        new OrphanProcesses(config.stateDir()).killUnowned(records.keySet());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private VmmDriver driverFor(String name) {
        String resolved = name.equals("auto") ? autoDriver : name;
        VmmDriver d = drivers.get(resolved);
        if (d == null) {
            String hint = resolved.equals("firecracker")
                    ? "Firecracker cannot run on this host: " + autoReason + " Use --driver auto or qemu (see 'kiln doctor')."
                    : "use one of: auto, " + String.join(", ", drivers.keySet());
            throw new HostException(HostError.INVALID_SPEC, "driver '" + name + "' is not available", hint);
        }
        return d;
    }

    private VmmDriver driver(VmRecord r) {
        VmmDriver d = drivers.get(r.driver());
        if (d == null) throw new HostException(HostError.HOST_ERROR, "driver " + r.driver() + " is not loaded", "restart the daemon");
        return d;
    }

    private VmRecord requireStarted(String nameOrId) {
        VmRecord r = require(nameOrId);
        if (r.handle().isEmpty()) {
            throw new HostException(HostError.INVALID_PHASE, "VM '" + r.name() + "' is still being created", "try again in a moment");
        }
        return r;
    }

    private void waitForRecordedEnd(String id) {
        VmRecord r = records.get(id);
        if (r == null) return;
        try {
            driver(r).await(new VmId(id)).get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return;
        }
        for (int i = 0; i < 100; i++) {
            VmRecord cur = records.get(id);
            if (cur == null || cur.phase().equals("stopped") || cur.phase().equals("failed")) return;
            sleep(Duration.ofMillis(5));
        }
    }

    private void update(String id, java.util.function.UnaryOperator<VmRecord> f) {
        if (closed) {
            return; // a closed service no longer owns the records: the next daemon re-adopts the VMs
        }
        records.computeIfPresent(id, (k, cur) -> {
            VmRecord next = f.apply(cur);
            try {
                store.save(next);
            } catch (HostException e) {
                LOG.warn("cannot persist VM {}: {}", cur.name(), e.getMessage());
            }
            return next;
        });
    }

    private static void wrap(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    private static <T> T wrapGet(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Detaches from every VM without stopping it (agent restart). */
    @Override
    public void close() {
        closed = true;
        for (VmmDriver d : drivers.values()) d.close();
    }

    /** Stops and removes every VM (for tests and `kiln daemon --cleanup`). */
    public void removeAll() {
        for (String id : List.copyOf(records.keySet())) removeQuietly(id);
    }
}
