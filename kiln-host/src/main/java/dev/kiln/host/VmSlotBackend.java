package dev.kiln.host;

import dev.kiln.api.agent.FunctionSetup;
import dev.kiln.host.fn.FunctionVersion;
import dev.kiln.host.fn.PoolSizing;
import dev.kiln.host.fn.SlotBackend;
import java.security.SecureRandom;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slots as real microVMs of this host: a fresh VM named {@code fn-<function>-<hex>} sized for the function, its code
 * uploaded to the guest agent, the runtime started (its image pulled from this host's registry). Closing a slot
 * removes its VM with its tap, lease and files. Slot VMs have the default tenant and egress policy, by decision (see
 * docs/ARCHITECTURE.md, "Function slots and cluster nodes keep the defaults").
 */
public final class VmSlotBackend implements SlotBackend, AutoCloseable {
    /** Guest memory beyond the function's own: the kernel, the agent's JVM, runc. */
    static final int OVERHEAD_MB = 384;
    /** Lambda's figure: a function gets one full vCPU at this memory size. */
    static final int MB_PER_VCPU = 1769;
    /** A zip without entries (its end-of-central-directory record alone). */
    private static final byte[] EMPTY_ZIP = emptyZip();

    private static byte[] emptyZip() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.finish();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Every slot VM's name starts with this; what {@link #isSlot} recognizes. */
    public static final String PREFIX = "fn-";
    /** The guest device of the image disk: the first disk after the root (the scratch disk comes after it). */
    static final String IMAGE_DISK_DEVICE = "/dev/vdb";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = LoggerFactory.getLogger(VmSlotBackend.class);

    private final VmService vms;
    private final String registryUrl;
    private final int maxVcpus;
    private final Optional<ImageDisks> disks;
    private final Optional<Path> snapshotDir;
    private final Map<String, VmSnapshot> templates = new ConcurrentHashMap<>();
    private final Set<String> preparing = ConcurrentHashMap.newKeySet();
    private volatile boolean autoSnapshot = true;
    private volatile boolean cpuShare = true;
    /** Per function name, how often its revisions were retired: a snapshot made meanwhile is dropped. */
    private final Map<String, Integer> retirements = new ConcurrentHashMap<>();
    private final int poolPerProfile;
    private final Map<Profile, Deque<String>> pool = new HashMap<>();
    private final Map<Profile, Integer> booting = new HashMap<>();
    private final Set<Thread> refills = ConcurrentHashMap.newKeySet();
    private final Set<String> poolBooting = ConcurrentHashMap.newKeySet();
    private final Map<Profile, Deque<Instant>> coldStarts = new HashMap<>();
    private final Clock clock = Clock.systemUTC();
    /** How far back cold starts count as demand for the pool: the slots' keep-alive. */
    static final Duration DEMAND_WINDOW = Duration.ofMinutes(5);
    private volatile boolean closed;

    /**
     * What makes pooled VMs interchangeable: the image disk they have attached (empty: none), memory and vCPUs.
     */
    record Profile(String disk, int memoryMb, int vcpus) {
        String label() {
            return memoryMb + "M-" + vcpus + "cpu" + (disk.isEmpty() ? "" : "-" + Path.of(disk).getFileName()
                    .toString().substring(0, 12));
        }
    }

    /**
     * @param registryUrl the registry slot runtimes pull their image from when the function names none (the
     *                    daemon's own)
     * @param disks       the runtime images as read-only disks a slot mounts; empty: each slot pulls its image
     */
    public VmSlotBackend(VmService vms, String registryUrl, Optional<ImageDisks> disks) {
        this(vms, registryUrl, disks, 0);
    }

    /**
     * @param poolPerProfile the most pre-booted VMs kept ready for one profile (image, memory, vCPUs): as many as
     *                       the profile had cold starts in the last {@link #DEMAND_WINDOW} ({@link PoolSizing}), up
     *                       to this; a cold start takes one instead of booting, and the pool is refilled in the
     *                       background; 0: no pool, every slot boots fresh
     */
    public VmSlotBackend(VmService vms, String registryUrl, Optional<ImageDisks> disks, int poolPerProfile) {
        this(vms, registryUrl, disks, poolPerProfile, Optional.empty());
    }

    /**
     * @param snapshotDir where snapshots of initialized slots are kept: after a function revision's first cold start
     *                    a template slot is started, initialized and snapshotted in the background, and later cold
     *                    starts of that revision are clones of it; empty: no snapshots
     */
    public VmSlotBackend(VmService vms, String registryUrl, Optional<ImageDisks> disks, int poolPerProfile,
                         Optional<Path> snapshotDir) {
        this.snapshotDir = snapshotDir;
        this.poolPerProfile = poolPerProfile;
        this.disks = disks;
        this.vms = vms;
        this.registryUrl = registryUrl;
        this.maxVcpus = Runtime.getRuntime().availableProcessors();
    }

    /** The slot VM's memory for a function of {@code memoryMb}. */
    static int vmMemoryMb(int memoryMb) {
        return Math.max(512, memoryMb + OVERHEAD_MB);
    }

    /** vCPUs in proportion to memory as Lambda gives them: one per 1,769 MB begun, at least one, at most the host's. */
    /** Lambda's CPU share of a memory size: one full vCPU at 1,769 MB, in proportion below and above. */
    static double cpuShare(int memoryMb) {
        return memoryMb / (double) MB_PER_VCPU;
    }

    /**
     * Whether a slot's VMM is limited to its memory size's CPU share after its first invocation (on by default;
     * needs a writable cpu cgroup controller).
     */
    public void cpuShare(boolean on) {
        this.cpuShare = on;
    }

    static int vcpus(int memoryMb, int hostCpus) {
        int wanted = (memoryMb + MB_PER_VCPU - 1) / MB_PER_VCPU;
        return Math.max(1, Math.min(hostCpus, wanted));
    }

    /** Set in every slot's environment: the function input store's base URL ({@link GuestGateway}). */
    public static final String STORE_URL_ENV = "KILN_STORE_URL";
    /** Set in every slot's environment: where a function invokes another (Lambda's Invoke, path style). */
    public static final String LAMBDA_URL_ENV = "KILN_LAMBDA_URL";
    /** In a function's environment, {@code off} keeps its revisions from being snapshotted (every cold start boots). */
    public static final String SNAPSHOTS_ENV = "KILN_SNAPSHOTS";

    /** Whether a VM of this host is a function slot (by its name). */
    public static boolean isSlot(String vmName) {
        return vmName.startsWith(PREFIX);
    }

    @Override
    public Slot open(FunctionVersion fn) {
        VmSnapshot template = templates.get(fn.key());
        if (template != null) {
            return clone(fn, template);
        }
        Slot slot = boot(fn, Optional.empty());
        boolean wanted = !"off".equals(fn.setup().environment().get(SNAPSHOTS_ENV));
        if (snapshotDir.isPresent() && autoSnapshot && wanted && !closed && preparing.add(fn.key())) {
            Thread thread = Thread.ofVirtual().name("kiln-slot-snapshot-" + fn.key()).unstarted(() -> {
                try {
                    prepareSnapshot(fn);
                } catch (RuntimeException e) {
                    LOG.warn("snapshotting a slot of {} failed (its cold starts boot instead): {}", fn.key(),
                            e.getMessage());
                } finally {
                    preparing.remove(fn.key());
                    refills.remove(Thread.currentThread());
                }
            });
            refills.add(thread); // close() waits for it, as for the pool's boots
            thread.start();
        }
        return slot;
    }

    /**
     * Makes the snapshot that cold starts of {@code fn} are cloned from: a template slot VM ({@code fn-tpl-...})
     * is started with the code and the runtime, waited for until the runtime has initialized (it asks for its first
     * invocation), and snapshotted; it stays paused while its snapshot is in use.
     */
    public VmSnapshot prepareSnapshot(FunctionVersion fn) {
        Path base = snapshotDir.orElseThrow(() -> new IllegalStateException("snapshots are off"));
        VmSnapshot existing = templates.get(fn.key());
        if (existing != null) {
            return existing;
        }
        int generation = retirements.getOrDefault(fn.setup().name(), 0);
        VmSlot slot = (VmSlot) boot(fn, Optional.of(PREFIX + "tpl-" + slotName("").substring(PREFIX.length() + 1)));
        try {
            long deadline = System.nanoTime() + fn.setup().initTimeout().toNanos();
            while (true) {
                String phase = slot.agent.functionState().phase();
                if (phase.equals("IDLE")) {
                    break;
                }
                if (phase.equals("FAILED") || System.nanoTime() > deadline) {
                    throw new HostException(HostError.BOOT_FAILED, "the template slot of " + fn.key()
                            + " did not initialize (" + phase + ")", "see its runtime's output");
                }
                Thread.sleep(100);
            }
            VmSnapshot snap = vms.snapshot(slot.vmId, base.resolve(slot.name));
            synchronized (this) {
                if (closed || retirements.getOrDefault(fn.setup().name(), 0) != generation) {
                    removeTemplate(snap);
                    throw new IllegalStateException(fn.key() + " was retired (or the backend closed) while its"
                            + " snapshot was made");
                }
                templates.put(fn.key(), snap);
            }
            return snap;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            slot.close();
            throw new HostException(HostError.TIMEOUT, "interrupted while snapshotting " + fn.key(), "");
        } catch (RuntimeException e) {
            slot.close();
            throw e;
        }
    }

    /** A slot cloned from the revision's snapshot: nothing to upload or start, its runtime is initialized already. */
    private Slot clone(FunctionVersion fn, VmSnapshot template) {
        SequencedMap<String, Long> phases = new LinkedHashMap<>();
        String name = slotName(fn.setup().name());
        VmView vm = vms.restore(template, name, phases);
        VmRecord record = vms.find(vm.id()).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                "the clone " + name + " vanished while starting", "see the daemon log"));
        SequencedMap<String, Long> named = new LinkedHashMap<>();
        phases.forEach((k, v) -> named.put(k.equals("network") ? "network" : "snapshot" + Character.toUpperCase(
                k.charAt(0)) + k.substring(1), v));
        return new VmSlot(vm.id(), name, new AgentClient(record.ip(), record.token()), named, fn.setup().memoryMb());
    }

    /** Whether a revision's first cold start also makes its snapshot in the background (on by default). */
    public void autoSnapshot(boolean on) {
        this.autoSnapshot = on;
    }

    @Override
    public String snapshotState(String key) {
        return templates.containsKey(key) ? "ready" : preparing.contains(key) ? "preparing" : "none";
    }

    /** Snapshots ready, by function key (for status and tests). */
    public Set<String> snapshots() {
        return Set.copyOf(templates.keySet());
    }

    @Override
    public void retired(String name, Optional<String> keep) {
        retirements.merge(name, 1, Integer::sum);
        for (String key : List.copyOf(templates.keySet())) {
            if (key.startsWith(name + ":") && keep.filter(key::equals).isEmpty()) {
                VmSnapshot snap = templates.remove(key);
                if (snap != null) {
                    removeTemplate(snap);
                }
            }
        }
    }

    private void removeTemplate(VmSnapshot snap) {
        removeQuietly(snap.templateId());
        try {
            VmStore.deleteTree(snap.dir());
        } catch (RuntimeException e) {
            LOG.warn("removing the snapshot {}: {}", snap.dir(), e.getMessage());
        }
    }

    private Slot boot(FunctionVersion fn, Optional<String> fixedName) {
        FunctionSetup s = fn.setup();
        SequencedMap<String, Long> phases = new LinkedHashMap<>();
        VmCreateRequest request = VmCreateRequest.empty().withMemory(vmMemoryMb(s.memoryMb()) + "M")
                .withVcpus(vcpus(s.memoryMb(), maxVcpus));
        Map<String, String> environment = new LinkedHashMap<>(s.environment());
        environment.putIfAbsent(STORE_URL_ENV, registryUrl + GuestGateway.STORE_PREFIX.substring(0,
                GuestGateway.STORE_PREFIX.length() - 1));
        environment.putIfAbsent(LAMBDA_URL_ENV, registryUrl);
        FunctionSetup setup = new FunctionSetup(s.name(), s.version(), s.arn(), s.region(), s.runtime(), s.handler(),
                s.memoryMb(), s.timeout(), s.initTimeout(), environment, s.image(),
                s.registry().or(() -> Optional.of(registryUrl)), s.command());
        if (s.image().isPresent() && disks.isPresent()) {
            long t = System.nanoTime();
            Path disk = disks.get().ensure(s.image().get());
            phases.put("imageDisk", (System.nanoTime() - t) / 1_000_000);
            request = request.withDisks(List.of(new DiskRequest(disk.toString(), true)));
            setup = setup.withImageDisk(IMAGE_DISK_DEVICE);
        }
        Profile profile = new Profile(request.disks().filter(l -> !l.isEmpty()).map(l -> l.getFirst().path()).orElse(""),
                vmMemoryMb(s.memoryMb()), vcpus(s.memoryMb(), maxVcpus));
        long t = System.nanoTime();
        Optional<String> pooled = fixedName.isPresent() ? Optional.empty() : take(profile);
        VmView vm;
        if (pooled.isPresent()) {
            vm = vms.get(pooled.get());
            phases.put("poolTake", (System.nanoTime() - t) / 1_000_000);
        } else {
            vm = vms.create(request.named(fixedName.orElseGet(() -> slotName(s.name()))), true);
            vm.bootPhases().ifPresent(b -> {
                phases.put("network", b.networkMs());
                phases.put("vmmStart", b.vmmStartMs());
                phases.put("kernelBoot", b.guestBootMs() + b.controlPortMs());
                phases.put("agentReady", b.agentMs());
            });
        }
        if (fixedName.isEmpty()) {
            refill(profile, request);
        }
        String name = vm.name();
        try {
            VmRecord record = vms.find(vm.id()).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                    "the slot VM " + name + " vanished while starting", "see the daemon log"));
            AgentClient agent = new AgentClient(record.ip(), record.token());
            long t0 = System.nanoTime();
            // an image function has no code: an empty zip gives its slot an empty /var/task, as Lambda does
            agent.putFunctionCode(fn.code().length > 0 ? fn.code() : EMPTY_ZIP);
            phases.put("codeReady", (System.nanoTime() - t0) / 1_000_000);
            long t1 = System.nanoTime();
            agent.startFunction(setup);
            phases.put("runtimeStart", (System.nanoTime() - t1) / 1_000_000);
            return new VmSlot(vm.id(), name, agent, phases, s.memoryMb());
        } catch (RuntimeException e) {
            try {
                vms.remove(vm.id(), true);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static String slotName(String function) {
        byte[] tag = new byte[3];
        RANDOM.nextBytes(tag);
        String base = function.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        return PREFIX + base.substring(0, Math.min(base.length(), 40)) + "-" + HexFormat.of().formatHex(tag);
    }

    /** A pooled VM of {@code profile}, if one is ready. */
    private synchronized Optional<String> take(Profile profile) {
        Deque<String> ready = pool.get(profile);
        while (ready != null && !ready.isEmpty()) {
            String vm = ready.pollFirst();
            if (vms.find(vm).isPresent() && "running".equals(vms.get(vm).phase())) {
                return Optional.of(vm);
            }
            removeQuietly(vm);
        }
        return Optional.empty();
    }

    /** Boots VMs of {@code profile} in the background until the pool holds what its recent demand asks for. */
    private void refill(Profile profile, VmCreateRequest request) {
        int missing;
        synchronized (this) {
            if (closed || poolPerProfile <= 0) {
                return;
            }
            Deque<Instant> starts = coldStarts.computeIfAbsent(profile, k -> new ArrayDeque<>());
            Instant now = clock.instant();
            starts.addLast(now);
            while (!starts.isEmpty() && starts.peekFirst().isBefore(now.minus(DEMAND_WINDOW))) {
                starts.pollFirst();
            }
            int have = pool.getOrDefault(profile, new ArrayDeque<>()).size() + booting.getOrDefault(profile, 0);
            missing = PoolSizing.target(starts, now, DEMAND_WINDOW, poolPerProfile) - have;
            if (missing <= 0) {
                return;
            }
            booting.merge(profile, missing, Integer::sum);
        }
        for (int i = 0; i < missing; i++) {
            String name = PREFIX + "pool-" + slotName("").substring(PREFIX.length() + 1);
            poolBooting.add(name);
            Thread thread = Thread.ofVirtual().name("kiln-slot-pool-" + profile.label()).unstarted(() -> {
                try {
                    vms.create(request.named(name), true);
                    synchronized (this) {
                        if (closed) {
                            removeQuietly(name);
                        } else {
                            pool.computeIfAbsent(profile, k -> new ArrayDeque<>()).addLast(name);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warn("pre-booting a slot VM ({}) failed: {}", profile.label(), e.getMessage());
                    removeQuietly(name);
                } finally {
                    synchronized (this) {
                        booting.merge(profile, -1, Integer::sum);
                        poolBooting.remove(name);
                    }
                    refills.remove(Thread.currentThread());
                }
            });
            refills.add(thread);
            thread.start();
        }
    }

    /**
     * Removes pooled VMs beyond what each profile's recent demand asks for (none once a profile had no cold start
     * for {@link #DEMAND_WINDOW}); returns how many. The daemon calls it with its keep-alive reclaim.
     */
    public int trimPool() {
        List<String> extra = new ArrayList<>();
        synchronized (this) {
            Instant now = clock.instant();
            for (var e : pool.entrySet()) {
                int target = PoolSizing.target(coldStarts.getOrDefault(e.getKey(), new ArrayDeque<>()), now,
                        DEMAND_WINDOW, poolPerProfile);
                while (e.getValue().size() > target) {
                    extra.add(e.getValue().pollLast());
                }
            }
        }
        extra.forEach(this::removeQuietly);
        if (!extra.isEmpty()) {
            LOG.info("removed {} pre-booted slot VM(s) that recent demand no longer asks for", extra.size());
        }
        return extra.size();
    }

    /** Pre-booted VMs ready now, per profile label (for status and tests). */
    public synchronized Map<String, Integer> pooled() {
        Map<String, Integer> out = new HashMap<>();
        pool.forEach((p, q) -> out.put(p.label(), q.size()));
        return out;
    }

    /** The names of the pool's VMs, ready or booting (not yet slots). */
    public synchronized Set<String> poolVms() {
        Set<String> out = new java.util.TreeSet<>(poolBooting);
        pool.values().forEach(out::addAll);
        return out;
    }

    /** Waits until no pool VM is booting and no snapshot is being made (for tests and a clean shutdown). */
    public void awaitRefills(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : List.copyOf(refills)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                return;
            }
        }
    }

    /** Removes the pooled VMs and the snapshots with their templates (slots are closed by their manager). */
    @Override
    public void close() {
        List<String> all = new ArrayList<>();
        List<VmSnapshot> snaps;
        synchronized (this) {
            closed = true;
            pool.values().forEach(all::addAll);
            pool.clear();
            snaps = List.copyOf(templates.values());
            templates.clear();
        }
        snaps.forEach(this::removeTemplate);
        try {
            awaitRefills(Duration.ofMinutes(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.forEach(this::removeQuietly);
    }

    private void removeQuietly(String vm) {
        try {
            vms.remove(vm, true);
        } catch (RuntimeException e) {
            LOG.debug("removing {}: {}", vm, e.getMessage());
        }
    }
    private final class VmSlot implements Slot {
        private final String vmId;
        private final String name;
        private final AgentClient agent;
        private final SequencedMap<String, Long> phases;
        private final int memoryMb;
        private volatile boolean limited;

        VmSlot(String vmId, String name, AgentClient agent, SequencedMap<String, Long> phases, int memoryMb) {
            this.vmId = vmId;
            this.name = name;
            this.agent = agent;
            this.phases = phases;
            this.memoryMb = memoryMb;
        }

        /**
         * After the slot's first invocation (its runtime has initialized): its VMM gets the CPU share of its memory
         * size. Before that, boot and init run unthrottled, which Lambda's init also gets, and which under TCG
         * would otherwise take many times longer.
         */
        private void limitCpuOnce() {
            if (limited || !cpuShare) {
                return;
            }
            limited = true;
            try {
                vms.limitCpu(vmId, cpuShare(memoryMb));
            } catch (HostException e) {
                LOG.warn("the slot {} runs without its CPU share: {}", name, e.getMessage());
            }
        }

        @Override
        public String id() {
            return name;
        }

        @Override
        public SequencedMap<String, Long> openPhases() {
            return new LinkedHashMap<>(phases);
        }

        /**
         * The invocation, watched: a guest whose VMM dies sends no reset, so the call would wait out its timeout. The
         * VM's phase is checked twice a second, and its end fails the invocation at once.
         */
        @Override
        public FunctionReply invoke(byte[] event, Duration timeout) {
            CompletableFuture<FunctionReply> call = new CompletableFuture<>();
            Thread caller = Thread.ofVirtual().name("slot-" + name).start(() -> {
                try {
                    call.complete(agent.invoke(event, timeout));
                } catch (RuntimeException e) {
                    call.completeExceptionally(e);
                }
            });
            while (true) {
                try {
                    FunctionReply reply = call.get(500, TimeUnit.MILLISECONDS);
                    limitCpuOnce();
                    return reply;
                } catch (TimeoutException e) {
                    String phase = phase();
                    if (!phase.equals("running")) {
                        caller.interrupt();
                        throw new HostException(HostError.VMM_DIED, "the slot VM " + name + " ended (" + phase
                                + ") during the invocation", "retry the invocation: a new slot takes it");
                    }
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    caller.interrupt();
                    Thread.currentThread().interrupt();
                    throw new HostException(HostError.TIMEOUT, "interrupted while the slot " + name + " ran",
                            "retry the invocation");
                }
            }
        }

        private String phase() {
            try {
                return vms.get(vmId).phase();
            } catch (HostException e) {
                if (e.code() == HostError.VM_NOT_FOUND) {
                    return "removed";
                }
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                vms.remove(vmId, true);
            } catch (HostException e) {
                if (e.code() != HostError.VM_NOT_FOUND) {
                    throw e;
                }
            }
        }
    }
}
