package dev.kiln.host.cluster;

import dev.kiln.cluster.model.ContainerStatus;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Quantity;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.node.NodeBackend;
import dev.kiln.cluster.node.Observed;
import dev.kiln.host.ContainerRunRequest;
import dev.kiln.host.ContainerService;
import dev.kiln.host.ContainerView;
import dev.kiln.host.HostException;
import dev.kiln.host.VmCreateRequest;
import dev.kiln.host.VmService;
import dev.kiln.host.VmView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Nodes as real microVMs and pods as containers in them, on this host's {@link VmService} and
 * {@link ContainerService}. A Node's VM is named {@code kn-<node>}; a pod's containers {@code <pod>.<container>}.
 * Each pod gets an address of its own, leased on its node VM's tap, and a network namespace with it in the guest
 * ({@link ContainerService#openPodNetwork}); a {@code hostNetwork} pod uses the node VM's network instead.
 * Boots and container starts run on virtual threads; until they finish, {@link #observe()} shows them as booting or
 * starting. The heartbeat is the guest agent's health: each running node VM is probed in the background, every
 * second, and an observation counts a VM healthy when its agent answered in the last {@link #FRESH}.
 */
public final class VmNodeBackend implements NodeBackend, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmNodeBackend.class);
    static final String VM_PREFIX = "kn-";
    /** How long the first probe of a VM may take, in the pass that first sees it running. */
    private static final Duration FIRST_PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** How long a background probe may take: a guest busy unpacking an image under TCG may answer slowly. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** Pause between one VM's probes. */
    static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    /** An answer counts as the node's heartbeat for this long. */
    static final Duration FRESH = Duration.ofSeconds(3);
    private static final Duration LIST_TIMEOUT = Duration.ofSeconds(3);

    private final VmService vms;
    private final NodeVms nodeVms;
    private final WarmPool pool;
    private volatile java.time.Instant nextRefill = java.time.Instant.EPOCH;
    private final ContainerService containers;
    private final PodRecords records;
    private final Resources capacity;
    private final String address;
    private final String subnet;
    private final String clusterCidr;
    private final int apiPort;
    /** Makes an image available on this host before a pod uses it (pulls it from another host if need be). */
    private final java.util.function.Consumer<String> ensureImage;
    private final Map<String, String> labels;
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<String> booting = ConcurrentHashMap.newKeySet();
    private final Map<String, String> bootFailures = new ConcurrentHashMap<>();
    private final Set<String> starting = ConcurrentHashMap.newKeySet();
    private final Map<String, String> startFailures = new ConcurrentHashMap<>();
    /** The last state seen of each pod (node/pod), kept for moments when its guest agent does not answer. */
    private final Map<String, Observed.PodRun> lastSeen = new ConcurrentHashMap<>();
    /** Each running node VM's background health probe (VM name → its loop). */
    private final Map<String, Future<?>> probing = new ConcurrentHashMap<>();
    /** When each node VM's agent last answered its health check. */
    private final Map<String, java.time.Instant> answered = new ConcurrentHashMap<>();
    /**
     * Nodes whose VM is being removed while its agent does not answer (a frozen or cut-off guest): their containers
     * go with the VM, and nothing asks that agent about them.
     */
    private final java.util.Set<String> unanswering = ConcurrentHashMap.newKeySet();
    /** When each node VM's agent process started, as it last said (epoch milliseconds, the guest's clock). */
    private final Map<String, Long> agentStarts = new ConcurrentHashMap<>();
    /** Per VM: why its agent says it is degraded (it answers, but its container supervision is stuck). */
    private final Map<String, String> degraded = new ConcurrentHashMap<>();
    /** The runtime's listeners of VM ends, on the VM service (closed with this backend). */
    private final List<VmService.Subscription> ends = new java.util.concurrent.CopyOnWriteArrayList<>();

    public VmNodeBackend(VmService vms, ContainerService containers, PodRecords records, Path nodeVmsFile,
                         int warmPoolMin, int warmPoolMax, Resources capacity, String address, String subnet,
                         String clusterCidr, int apiPort, Map<String, String> labels,
                         java.util.function.Consumer<String> ensureImage) {
        this.ensureImage = ensureImage;
        this.subnet = subnet;
        this.clusterCidr = clusterCidr;
        this.apiPort = apiPort;
        this.nodeVms = new NodeVms(nodeVmsFile);
        this.pool = new WarmPool(vms, nodeVms, warmPoolMin, warmPoolMax, java.time.Clock.systemUTC(), work);
        this.vms = vms;
        this.containers = containers;
        this.records = records;
        this.capacity = capacity;
        this.address = address;
        this.labels = Map.copyOf(labels);
    }

    /** The VM of a node: {@code kn-<node>}, or the warm-pool VM it took. */
    String vmName(String node) {
        return nodeVms.vmOf(node);
    }

    /** A container's name for a pod; long names are cut and given a hash so they stay unique and valid. */
    static String containerName(String pod, String container) {
        String name = pod + "." + container;
        if (name.length() <= 63) {
            return name;
        }
        String hash = Integer.toHexString(name.hashCode());
        return name.substring(0, 62 - hash.length()) + "-" + hash;
    }

    @Override
    public Observed observe() {
        List<VmView> mine = vms.list().stream()
                .filter(v -> v.name().startsWith(VM_PREFIX) || nodeVms.isClaimed(v.name())).toList();
        Map<String, Future<Optional<dev.kiln.api.agent.Health>>> firstProbes = new HashMap<>();
        Set<String> runningVms = new java.util.HashSet<>();
        for (VmView v : mine) {
            if (v.phase().equals("running")) {
                runningVms.add(v.name());
                if (!probing.containsKey(v.name())) {
                    firstProbes.put(v.name(), work.submit(() -> dev.kiln.host.AgentProbe.health(v.ip(),
                            FIRST_PROBE_TIMEOUT)));
                    probing.put(v.name(), work.submit(() -> probeLoop(v.name(), v.ip())));
                }
            }
        }
        probing.keySet().removeIf(name -> {
            if (runningVms.contains(name)) {
                return false;
            }
            probing.get(name).cancel(true);
            answered.remove(name);
            agentStarts.remove(name);
            degraded.remove(name);
            return true;
        });
        firstProbes.forEach((name, probe) -> within(probe).flatMap(h -> h).ifPresent(h -> answer(name, h)));
        java.time.Instant freshSince = java.time.Instant.now().minus(FRESH);
        Map<String, Observed.Vm> seen = new HashMap<>();
        for (VmView v : mine) {
            String node = nodeVms.nodeOf(v.name()).orElseThrow();
            Observed.VmState state = switch (v.phase()) {
                case "running" -> Observed.VmState.RUNNING;
                case "creating", "booting" -> Observed.VmState.BOOTING;
                default -> booting.contains(node) ? Observed.VmState.BOOTING : Observed.VmState.FAILED;
            };
            boolean healthy = runningVms.contains(v.name()) && Optional.ofNullable(answered.get(v.name()))
                    .filter(t -> t.isAfter(freshSince)).isPresent();
            Optional<String> message = state == Observed.VmState.FAILED ? Optional.of("its microVM is " + v.phase()
                    + v.cause().map(c -> ": " + c).orElse(""))
                    : healthy ? Optional.empty() : Optional.ofNullable(degraded.get(v.name()));
            seen.put(node, new Observed.Vm(node, state, Optional.of(v.name()), Optional.of(v.ip()), healthy, message,
                    Optional.ofNullable(agentStarts.get(v.name())).map(java.time.Instant::ofEpochMilli)));
        }
        for (String node : booting) {
            seen.putIfAbsent(node, new Observed.Vm(node, Observed.VmState.BOOTING, Optional.of(vmName(node)),
                    Optional.empty(), false, Optional.empty()));
        }
        bootFailures.forEach((node, why) -> seen.put(node, new Observed.Vm(node, Observed.VmState.FAILED,
                Optional.of(vmName(node)), Optional.empty(), false, Optional.of(why))));
        if (java.time.Instant.now().isAfter(nextRefill)) {
            nextRefill = java.time.Instant.now().plusSeconds(10);
            work.execute(pool::refill); // replaces pool VMs that failed, in the background
            work.execute(() -> closeStrayPodNetworks(mine));
        }
        return new Observed(seen, pods(seen));
    }

    /**
     * Removes pod networks that no pod record holds any more (a daemon that died between removing a pod's record and
     * its network): a pod's record is written before its network is made and removed after, so a network without a
     * record is stray. The addresses are read before the records, so a pod that starts meanwhile is never taken for
     * a stray one.
     */
    private void closeStrayPodNetworks(List<VmView> seen) {
        for (VmView v : seen) {
            Optional<String> node = nodeVms.nodeOf(v.name());
            if (node.isEmpty() || !v.phase().equals("running")) {
                continue;
            }
            Set<String> withAddresses = containers.podsWithAddresses(v.name()); // first: a pod starting now has its
            Set<String> recorded = new java.util.HashSet<>();                  // record before its address
            records.onNode(node.get()).forEach(r -> recorded.add(r.pod()));
            for (String pod : withAddresses) {
                if (!recorded.contains(pod)) {
                    LOG.info("node {}: removing the network of pod {}, which no longer runs here", node.get(), pod);
                    containers.closePodNetwork(v.name(), pod);
                }
            }
        }
    }

    /**
     * Probes one VM's agent until cancelled: every {@link #PROBE_EVERY}, each probe allowed {@link #PROBE_TIMEOUT}.
     * The pass only reads the last answer's time, so a slow agent never holds up a pass (and the other nodes'
     * heartbeats), and an answer that takes seconds (a guest busy unpacking an image under TCG) still counts.
     */
    private void probeLoop(String vm, String ip) {
        while (!Thread.currentThread().isInterrupted()) {
            dev.kiln.host.AgentProbe.health(ip, PROBE_TIMEOUT).ifPresent(h -> answer(vm, h));
            try {
                Thread.sleep(PROBE_EVERY);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Records an answer. One that says the agent is degraded (its container supervision is stuck) does not count
     * as a heartbeat: its reason is kept for the node instead, and logged when it changes.
     */
    private void answer(String vm, dev.kiln.api.agent.Health health) {
        health.startedAt().ifPresent(t -> agentStarts.put(vm, t));
        if (!health.saysOk()) {
            String why = health.message().orElse("the agent says it is " + health.status());
            if (!why.equals(degraded.put(vm, why))) {
                LOG.warn("the guest agent of {} is degraded: {}", vm, why);
            }
            return;
        }
        if (degraded.remove(vm) != null) {
            LOG.info("the guest agent of {} looks after its containers again", vm);
        }
        answered.merge(vm, java.time.Instant.now(), (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * The pods of each node, asking only the agents that just answered their health check, all at once and for at
     * most {@link #LIST_TIMEOUT}: a dead or slow VM never holds up the pass (and so the heartbeats of the others).
     */
    private Map<String, Map<String, Observed.PodRun>> pods(Map<String, Observed.Vm> seen) {
        Map<String, Future<List<ContainerView>>> asked = new HashMap<>();
        seen.forEach((node, vm) -> {
            if (vm.healthy() && !records.onNode(node).isEmpty()) {
                asked.put(node, work.submit(() -> containers.listIn(vmName(node))));
            }
        });
        Map<String, Map<String, Observed.PodRun>> out = new HashMap<>();
        for (String node : seen.keySet()) {
            Optional<List<ContainerView>> here = Optional.ofNullable(asked.get(node)).flatMap(VmNodeBackend::within);
            Map<String, Observed.PodRun> runs = new HashMap<>();
            for (PodRecords.PodRecord pod : records.onNode(node)) {
                String key = node + "/" + pod.pod();
                Observed.PodRun last = lastSeen.get(key);
                List<ContainerView> cs = here.orElse(List.of()).stream()
                        .filter(c -> pod.containers().containsValue(c.name())).toList();
                boolean unanswered = here.isEmpty() || cs.stream().anyMatch(c -> c.state().equals("unknown"));
                if (last != null && unanswered && !starting.contains(key)) {
                    runs.put(pod.pod(), last); // its agent did not answer now: the node's health tells
                    continue;
                }
                Observed.PodRun now = run(pod, cs, starting.contains(key), Optional.ofNullable(startFailures.get(key)));
                lastSeen.put(key, now);
                runs.put(pod.pod(), now);
            }
            out.put(node, runs);
        }
        return out;
    }

    private static <T> Optional<T> within(Future<T> f) {
        try {
            return Optional.of(f.get(LIST_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
        } catch (Exception e) {
            f.cancel(true);
            return Optional.empty();
        }
    }

    private static Observed.PodRun run(PodRecords.PodRecord pod, List<ContainerView> cs, boolean starting,
                                       Optional<String> failure) {
        List<ContainerStatus> statuses = new ArrayList<>();
        pod.containers().forEach((container, name) -> {
            Optional<ContainerView> c = cs.stream().filter(x -> x.name().equals(name)).findFirst();
            String state = c.map(v -> switch (v.state()) {
                case "running" -> ContainerStatus.RUNNING;
                case "exited", "failed" -> ContainerStatus.TERMINATED;
                default -> ContainerStatus.WAITING;
            }).orElse(ContainerStatus.WAITING);
            statuses.add(new ContainerStatus(container, state.equals(ContainerStatus.RUNNING),
                    c.map(ContainerView::restarts).orElse(0), state, c.flatMap(ContainerView::exitCode),
                    c.flatMap(ContainerView::error), c.map(ContainerView::id)));
        });
        Observed.PodState state;
        if (failure.isPresent()) {
            state = Observed.PodState.FAILED;
        } else if (starting || statuses.stream().anyMatch(s -> s.state().equals(ContainerStatus.WAITING))) {
            state = Observed.PodState.STARTING;
        } else if (statuses.stream().allMatch(s -> s.state().equals(ContainerStatus.RUNNING))) {
            state = Observed.PodState.RUNNING;
        } else if (statuses.stream().anyMatch(s -> s.state().equals(ContainerStatus.RUNNING))) {
            state = Observed.PodState.RUNNING;
        } else {
            state = statuses.stream().allMatch(s -> s.exitCode().orElse(1) == 0) ? Observed.PodState.SUCCEEDED
                    : Observed.PodState.FAILED;
        }
        return new Observed.PodRun(pod.pod(), pod.uid(), state, statuses, failure, pod.ownAddress());
    }

    @Override
    public void startVm(Node node) {
        String name = node.name();
        if (!booting.add(name)) {
            return;
        }
        bootFailures.remove(name);
        if (pool.take(node).isPresent()) {
            booting.remove(name);
            work.execute(pool::refill);
            return;
        }
        var profile = node.spec().profile();
        VmCreateRequest req = VmCreateRequest.empty().named(vmName(name)).withVcpus(Math.max(1, profile.cpus()))
                .withMemory(Quantity.formatMemory(profile.memoryBytes()).replace("i", ""));
        if (profile.scratchBytes().isPresent()) {
            req = req.withScratch(Long.toString(profile.scratchBytes().get() >> 20) + "M");
        }
        if (!node.spec().driver().equals("auto")) {
            req = req.withDriver(node.spec().driver());
        }
        VmCreateRequest request = req;
        work.execute(() -> {
            try {
                vms.create(request, true);
                LOG.info("node {}: microVM {} is ready", name, vmName(name));
                pool.refill(); // now that this boot is done, keep a VM of this profile ready for the next node
            } catch (HostException e) {
                LOG.warn("node {}: microVM failed to boot: {}", name, e.getMessage());
                bootFailures.put(name, "its microVM failed to boot: " + e.getMessage());
            } finally {
                booting.remove(name);
            }
        });
    }

    @Override
    public void removeVm(String node) {
        booting.remove(node);
        bootFailures.remove(node);
        // A VM whose agent answers has its containers stopped first. One that does not (frozen, cut off: its node is
        // Lost) is killed first, so that its pods, already placed again elsewhere, stop at once rather than after a
        // connect timeout per container, and the starts elsewhere do not wait on that agent either.
        boolean answers = answersNow(vmName(node));
        if (!answers) {
            unanswering.add(node);
        }
        work.execute(() -> {
            try {
                if (!answers) {
                    removeNodeVm(node);
                }
                for (PodRecords.PodRecord pod : records.onNode(node)) {
                    lastSeen.remove(node + "/" + pod.pod());
                    removeContainers(pod);
                    records.remove(node, pod.pod());
                }
                if (answers) {
                    removeNodeVm(node);
                }
                nodeVms.forget(node);
            } finally {
                unanswering.remove(node);
            }
        });
    }

    private void removeNodeVm(String node) {
        try {
            vms.remove(vmName(node), true);
        } catch (HostException e) {
            LOG.debug("node {}: {}", node, e.getMessage());
        }
    }

    /** Whether the agent of VM {@code vm} answered its health check within {@link #FRESH}. */
    private boolean answersNow(String vm) {
        return Optional.ofNullable(answered.get(vm)).filter(t -> t.isAfter(java.time.Instant.now().minus(FRESH)))
                .isPresent();
    }

    /**
     * Kills every node VM at once (their pods die with them), then forgets their pods and containers. Warm-pool VMs
     * run nothing and stay.
     */
    @Override
    public void fence() {
        List<String> nodes = vms.list().stream()
                .filter(v -> v.name().startsWith(VM_PREFIX) || nodeVms.isClaimed(v.name()))
                .map(v -> nodeVms.nodeOf(v.name()).orElseThrow()).toList();
        booting.clear();
        for (String node : nodes) {
            try {
                vms.remove(vmName(node), true);
            } catch (HostException e) {
                LOG.debug("fencing node {}: {}", node, e.getMessage());
            }
        }
        for (String node : nodes) {
            removeVm(node);
        }
        LOG.warn("fenced: removed the VMs of {} node(s): {}", nodes.size(), nodes);
    }

    /**
     * Node VMs that end are reported at once, from {@link VmService}'s watch of each VMM process (warm-pool VMs that
     * no node took are not nodes and are left to the pool's refill).
     */
    @Override
    public void onVmEnded(VmEnded listener) {
        ends.add(vms.onEnded(end -> {
            if (end.name().startsWith(VM_PREFIX) || nodeVms.isClaimed(end.name())) {
                nodeVms.nodeOf(end.name()).ifPresent(node -> listener.ended(node, "the VMM " + (end.phase().equals("failed")
                        ? "exited: " : "stopped: ") + end.why()));
            }
        }));
    }

    @Override
    public String subnet() {
        return subnet;
    }

    @Override
    public String clusterCidr() {
        return clusterCidr;
    }

    @Override
    public int apiPort() {
        return apiPort;
    }

    @Override
    public String guestImage() {
        return vms.guestImage().digest();
    }

    @Override
    public void startPod(String node, Pod pod) {
        String key = node + "/" + pod.name();
        if (!starting.add(key)) {
            return;
        }
        startFailures.remove(key);
        Map<String, String> names = new java.util.LinkedHashMap<>();
        for (ContainerTemplate t : pod.spec().containers()) {
            names.put(t.name(), containerName(pod.name(), t.name()));
        }
        var record = new PodRecords.PodRecord(node, pod.name(), pod.metadata().uid().orElse(""), names);
        records.put(record);
        work.execute(() -> {
            try {
                removeEarlierPlacements(node, pod.name());
                for (ContainerTemplate t : pod.spec().containers()) {
                    ensureImage.accept(t.image()); // before the network: a pull may take long, the address is cheap
                }
                Optional<String> network = Optional.empty(); // hostNetwork: the node VM's
                if (!pod.spec().hostNetwork()) {
                    long t0 = System.nanoTime();
                    String address = containers.openPodNetwork(vmName(node), pod.name());
                    records.put(record.withAddress(address));
                    LOG.info("pod {} on node {}: address {} (its network took {} ms)", pod.name(), node, address,
                            (System.nanoTime() - t0) / 1_000_000);
                    network = Optional.of(pod.name());
                }
                for (ContainerTemplate t : pod.spec().containers()) {
                    containers.run(request(pod, t, vmName(node), names.get(t.name())), network);
                }
            } catch (HostException e) {
                LOG.warn("pod {} on node {}: {}", pod.name(), node, e.getMessage());
                startFailures.put(key, e.getMessage());
            } finally {
                starting.remove(key);
            }
        });
    }

    /**
     * Removes the containers of {@code pod} that an earlier placement left on another node. A pod keeps its name when
     * its node is Lost and it is placed again, and so do its containers; the Lost node's removal runs in the
     * background and may not have reached them yet when the pod starts here (a VMM exit is reported at once, so the
     * pod is often placed again within the same second). They are stale, and they hold the names this start needs.
     */
    private void removeEarlierPlacements(String node, String podName) {
        for (PodRecords.PodRecord earlier : records.all()) {
            if (earlier.pod().equals(podName) && !earlier.node().equals(node)) {
                LOG.info("pod {}: removing its containers from node {}, where it ran before", podName, earlier.node());
                lastSeen.remove(earlier.node() + "/" + podName);
                removeContainers(earlier);
                records.remove(earlier.node(), podName);
            }
        }
    }

    static ContainerRunRequest request(Pod pod, ContainerTemplate t, String vm, String name) {
        ContainerRunRequest r = ContainerRunRequest.of(t.image()).named(name).inVm(vm).withEnv(t.env());
        if (!t.command().isEmpty()) {
            r = r.withCommand(t.command());
        }
        if (!t.args().isEmpty()) {
            r = r.withArgs(t.args());
        }
        // no -p forwards: a hostPort is the cluster's, forwarded by every host (ClusterPorts), not by a container
        Optional<Resources> limits = t.resources().limits();
        if (limits.isPresent() && limits.get().memoryBytes() > 0) {
            r = r.withMemory((limits.get().memoryBytes() >> 20) + "M");
        }
        if (limits.isPresent() && limits.get().cpuMillis() > 0) {
            r = r.withCpus(limits.get().cpuMillis() / 1000.0);
        }
        String restart = switch (pod.spec().restartPolicy()) {
            case ALWAYS -> "always";
            case ON_FAILURE -> "on-failure";
            case NEVER -> "no";
        };
        return r.withRestart(restart);
    }

    @Override
    public void removePod(String node, String podName) {
        String key = node + "/" + podName;
        starting.remove(key);
        startFailures.remove(key);
        lastSeen.remove(key);
        records.get(node, podName).ifPresent(pod -> work.execute(() -> {
            removeContainers(pod);
            records.remove(node, podName);
        }));
    }

    /** Removes the pod's containers, then its network (address and namespace). */
    private void removeContainers(PodRecords.PodRecord pod) {
        boolean askAgent = !unanswering.contains(pod.node());
        for (String name : pod.containers().values()) {
            try {
                if (askAgent) {
                    containers.remove(name, true);
                } else {
                    containers.forget(name); // it goes with its VM, which is being removed
                }
            } catch (HostException e) {
                LOG.debug("pod {}: {}", pod.pod(), e.getMessage());
            }
        }
        try {
            containers.closePodNetwork(vmName(pod.node()), pod.pod(), askAgent);
        } catch (RuntimeException e) {
            LOG.warn("pod {}: cannot remove its network: {}", pod.pod(), e.getMessage());
        }
    }

    @Override
    public Resources capacity() {
        return capacity;
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public Map<String, String> labels() {
        return labels;
    }

    /** Removes the warm pool's idle VMs (leaving the cluster). */
    public void removeWarmPool() {
        pool.removeIdle();
    }

    @Override
    public void close() {
        ends.forEach(VmService.Subscription::close);
        probing.values().forEach(f -> f.cancel(true));
        probing.clear();
        pool.close();
        work.shutdown();
    }
}
