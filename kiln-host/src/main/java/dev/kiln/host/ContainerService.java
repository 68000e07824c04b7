package dev.kiln.host;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerStats;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;
import dev.kiln.api.agent.NetworkMode;
import dev.kiln.api.agent.RestartPolicy;
import dev.kiln.image.ImageDetails;
import dev.kiln.image.ImageReader;
import dev.kiln.vmm.ByteSize;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers on this host: each runs under runc in a microVM's guest agent. {@code run} resolves the image in the
 * host's store, takes the named VM or boots a fresh one, opens the host port forwards, and asks the guest agent to
 * pull the image from the host's registry (on the bridge) and start it. Any failure undoes what was done (forwards
 * closed, a fresh VM removed), so a failed run changes nothing. The agent is the source of truth for a container's
 * state; the host keeps which VM holds it and its forwards.
 */
public final class ContainerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerService.class);
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    /** What a fresh VM needs beside the container: the kernel, the agent's JVM, runc. */
    private static final ByteSize GUEST_OVERHEAD = ByteSize.parse("256M");
    private static final ByteSize DEFAULT_VM_MEMORY = ByteSize.parse("512M");

    private final VmService vms;
    private final ImageReader images;
    private final Supplier<String> registryUrl;
    private final PortForwarder forwards;
    private final ContainerStore store;
    private final Clock clock;
    private final Map<String, ContainerRecord> records = new ConcurrentHashMap<>();
    private final Object nameLock = new Object();

    /** @param registryUrl the base URL guests pull from, e.g. {@code http://10.77.0.1:10080} */
    ContainerService(VmService vms, ImageReader images, Supplier<String> registryUrl, PortForwarder forwards,
                     ContainerStore store, Clock clock) {
        this.vms = vms;
        this.images = images;
        this.registryUrl = registryUrl;
        this.forwards = forwards;
        this.store = store;
        this.clock = clock;
    }

    /**
     * The host's port forwards. The cluster's host ports ({@code ClusterPorts}) open theirs here too, so one port
     * is never forwarded twice and a container's {@code -p} on a port the cluster holds is refused with its owner.
     */
    public PortForwarder forwarder() {
        return forwards;
    }

    /**
     * Re-adopts containers after a daemon restart: a container whose VM is gone is forgotten; the others get their
     * port forwards back (a port taken meanwhile is logged and left closed).
     */
    void recover() {
        for (ContainerRecord r : store.loadAll()) {
            Optional<VmRecord> vm = vms.find(r.vmId());
            if (vm.isEmpty()) {
                LOG.info("forgetting container {}: its VM {} is gone", r.name(), r.vmName());
                store.delete(r.name());
                continue;
            }
            records.put(r.name(), r);
            try {
                forwards.open(forwardsOf(r, vm.get().ip()));
            } catch (HostException e) {
                LOG.warn("container {}: cannot reopen its port forwards: {}", r.name(), e.getMessage());
            }
        }
    }

    // ---- run --------------------------------------------------------------------------------------------------

    public ContainerView run(ContainerRunRequest req) {
        return run(req, Optional.empty());
    }

    /**
     * As {@link #run(ContainerRunRequest)}; with {@code pod}, the container joins that pod's network in its VM
     * ({@link #openPodNetwork}), which must exist (a cluster pod's containers, started with {@code --vm}).
     */
    public ContainerView run(ContainerRunRequest req, Optional<String> pod) {
        if (pod.isPresent() && (req.vm().isEmpty() || req.network().isPresent() || req.ports().isPresent())) {
            throw new HostException(HostError.INVALID_SPEC, "a pod's container runs in its node's VM, on the pod's "
                    + "network, without port forwards", "give --vm and no --network or -p");
        }
        if (req.image() == null || req.image().isBlank()) {
            throw new HostException(HostError.INVALID_SPEC, "run needs an image", "e.g. kiln run hello:latest");
        }
        List<PortMapping> ports = req.ports().orElse(List.of()).stream().map(PortMapping::parse).toList();
        NetworkMode network = networkMode(req.network());
        if (!ports.isEmpty() && network == NetworkMode.ISOLATED) {
            throw new HostException(HostError.INVALID_SPEC, "an isolated container cannot have port forwards",
                    "drop --network isolated, or the -p options");
        }
        Optional<ByteSize> memory = req.memory().map(ByteSize::parse);
        RestartPolicy restart = restartPolicy(req.restart());
        Optional<Integer> cpuMillis = req.cpus().map(c -> {
            if (c <= 0 || c > 64) {
                throw new HostException(HostError.INVALID_SPEC, "--cpus " + c + " is out of range", "give e.g. 0.5 or 2");
            }
            return (int) Math.round(c * 1000);
        });
        List<dev.kiln.api.agent.Mount> mounts = req.volumes().orElse(List.of()).stream().map(ContainerService::volume).toList();
        if (req.vm().isPresent() && (req.disks().isPresent() || req.vmScratch().isPresent() || req.vmMemory().isPresent()
                || req.tenant().isPresent() || req.egress().isPresent())) {
            throw new HostException(HostError.INVALID_SPEC, "disks, VM memory, scratch size, tenant and egress are for a "
                    + "fresh VM; --vm names a running one", "give them when creating that VM ('kiln vm run'), or drop --vm");
        }
        VmService.guestPolicy(req.tenant(), req.egress()); // checked here, before anything is made; the VM gets them
        ImageDetails image = resolveImage(req.image());
        String pullReference = pullReference(req.image());
        String repository = pullReference.substring(0, pullReference.indexOf('@'));
        String name = req.name().orElse(defaultName(repository));
        if (!NAME.matcher(name).matches()) {
            throw new HostException(HostError.INVALID_SPEC, "bad container name '" + name + "'",
                    "use letters, digits, '_', '.' and '-', at most 63 characters");
        }
        ensurePortsFree(ports);

        ContainerRecord placeholder;
        synchronized (nameLock) {
            if (records.containsKey(name)) {
                throw new HostException(HostError.NAME_TAKEN, "a container named '" + name + "' already exists",
                        "choose another --name, or remove it with 'kiln rm " + name + "'");
            }
            placeholder = new ContainerRecord(name, "", "", "", false, req.image(), image.digest().toString(), ports,
                    clock.instant());
            records.put(name, placeholder);
        }
        VmRecord vm = null;
        boolean ownsVm = req.vm().isEmpty();
        boolean forwarded = false;
        try {
            vm = ownsVm ? freshVm(name, memory, req) : existingVm(req.vm().get(), memory);
            forwards.open(forwardsOf(placeholder, vm.ip()));
            forwarded = true;
            ContainerSpec spec = spec(req, name, pullReference, memory, cpuMillis, network, restart)
                    .withMounts(mounts);
            if (pod.isPresent()) {
                spec = spec.inPod(pod.get());
            }
            ContainerInfo info = agent(vm).run(spec);
            ContainerRecord rec = new ContainerRecord(name, info.id(), vm.id(), vm.name(), ownsVm, req.image(),
                    image.digest().toString(), ports, placeholder.createdAt());
            store.save(rec);
            records.put(name, rec);
            LOG.info("container {} ({}) runs in VM {}", name, req.image(), vm.name());
            return ContainerView.of(rec, vm.ip(), info);
        } catch (RuntimeException e) {
            records.remove(name);
            if (forwarded) forwards.close(name);
            if (ownsVm && vm != null) {
                try {
                    vms.remove(vm.id(), true);
                } catch (RuntimeException cleanup) {
                    LOG.warn("cannot remove VM {} after a failed run: {}", vm.name(), cleanup.getMessage());
                }
            }
            throw HostException.from(e);
        }
    }

    private String pullReference(String reference) {
        try {
            return images.pullReference(reference);
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    private ImageDetails resolveImage(String reference) {
        try {
            return images.inspect(reference);
        } catch (RuntimeException e) {
            throw HostException.from(e);
        }
    }

    private static String defaultName(String repository) {
        String base = repository.substring(repository.lastIndexOf('/') + 1).replaceAll("[^a-zA-Z0-9_.-]", "-");
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        return base + "-" + HexFormat.of().formatHex(b);
    }

    /** Fails early, before any VM boots, when a host port is taken; the real bind happens later and may still fail. */
    private void ensurePortsFree(List<PortMapping> ports) {
        for (PortMapping p : ports) {
            if (forwards.forwards().stream().anyMatch(f -> f.protocol() == PortForwarder.Protocol.TCP
                    && f.hostPort() == p.hostPort())) {
                throw new HostException(HostError.PORT_IN_USE, "host port " + p.hostPort() + " is already forwarded by kiln",
                        "choose another host port in -p HOSTPORT:PORT ('kiln ps' shows the forwards)");
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), p.hostPort()));
            } catch (java.io.IOException e) {
                throw new HostException(HostError.PORT_IN_USE, "host port " + p.hostPort() + " is already in use ("
                        + e.getMessage() + ")", "choose another host port in -p HOSTPORT:PORT, or stop what uses it");
            }
        }
    }

    /** {@code /mnt/vdb:/data[:ro]}: a guest path bound into the container. */
    static dev.kiln.api.agent.Mount volume(String text) {
        String[] p = text.split(":", -1);
        if (p.length < 2 || p.length > 3 || !p[0].startsWith("/") || !p[1].startsWith("/")
                || (p.length == 3 && !p[2].equals("ro") && !p[2].equals("rw"))) {
            throw new HostException(HostError.INVALID_SPEC, "bad volume '" + text + "'",
                    "write GUESTPATH:CONTAINERPATH[:ro], e.g. -v /mnt/vdb:/data:ro");
        }
        return dev.kiln.api.agent.Mount.bind(p[0], p[1], p.length == 3 && p[2].equals("ro"));
    }

    private VmRecord freshVm(String name, Optional<ByteSize> limit, ContainerRunRequest req) {
        ByteSize memory = req.vmMemory().map(ByteSize::parse).orElseGet(() -> limit
                .map(l -> new ByteSize(Math.max(l.bytes() + GUEST_OVERHEAD.bytes(), DEFAULT_VM_MEMORY.bytes())))
                .orElse(DEFAULT_VM_MEMORY));
        limit.ifPresent(l -> {
            if (l.bytes() > memory.bytes()) {
                throw new HostException(HostError.INVALID_SPEC, "the memory limit " + l + " is above the VM's memory " + memory,
                        "raise --vm-memory or lower --memory");
            }
        });
        String vmName = "ctr-" + name;
        VmCreateRequest create = VmCreateRequest.empty().named(vmName).withMemory(memory.toString())
                .withDisks(req.disks().orElse(List.of()));
        if (req.vmScratch().isPresent()) create = create.withScratch(req.vmScratch().get());
        if (req.tenant().isPresent()) create = create.withTenant(req.tenant().get());
        if (req.egress().isPresent()) create = create.withEgress(req.egress().get());
        VmView view = vms.create(create, true);
        return vms.find(view.id()).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                "VM " + vmName + " vanished right after it booted", "retry"));
    }

    private VmRecord existingVm(String nameOrId, Optional<ByteSize> limit) {
        VmRecord vm = vms.find(nameOrId).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                "no VM named '" + nameOrId + "'", "list VMs with 'kiln vm ls', or drop --vm to get a fresh one"));
        VmView view = vms.get(vm.id());
        if (!view.ready()) {
            throw new HostException(HostError.INVALID_PHASE, "VM " + vm.name() + " is " + view.phase() + ", not ready",
                    "wait for it to be running, or resume it");
        }
        limit.ifPresent(l -> {
            ByteSize vmMemory = ByteSize.parse(vm.memory());
            if (l.bytes() >= vmMemory.bytes()) {
                throw new HostException(HostError.INVALID_SPEC, "the memory limit " + l + " is not below VM " + vm.name()
                        + "'s memory " + vmMemory, "lower --memory, or run in a bigger VM");
            }
        });
        return vm;
    }

    private ContainerSpec spec(ContainerRunRequest req, String name, String image, Optional<ByteSize> memory,
                               Optional<Integer> cpuMillis, NetworkMode network, RestartPolicy restart) {
        ContainerSpec spec = ContainerSpec.of(name, image).withRegistry(registryUrl.get())
                .withEnv(req.env().orElse(Map.of()))
                .withLimits(memory.map(ByteSize::bytes), cpuMillis, Optional.empty())
                .withReadOnlyRoot(req.readOnly().orElse(false))
                .withNetwork(network)
                .withRestart(restart);
        if (req.command().isPresent()) spec = spec.withCommand(req.command().get());
        if (req.args().isPresent()) spec = spec.withArgs(req.args().get());
        if (req.workdir().isPresent()) spec = spec.withWorkdir(req.workdir().get());
        if (req.user().isPresent()) spec = spec.withUser(req.user().get());
        return spec;
    }

    static NetworkMode networkMode(Optional<String> text) {
        return switch (text.orElse("vm")) {
            case "vm" -> NetworkMode.VM;
            case "isolated" -> NetworkMode.ISOLATED;
            default -> throw new HostException(HostError.INVALID_SPEC, "unknown network mode '" + text.get() + "'",
                    "use vm or isolated");
        };
    }

    static RestartPolicy restartPolicy(Optional<String> text) {
        String t = text.orElse("no");
        if (t.equals("no")) return RestartPolicy.no();
        if (t.equals("always")) return RestartPolicy.always();
        if (t.equals("on-failure")) return RestartPolicy.onFailure(3);
        if (t.startsWith("on-failure:")) {
            try {
                return RestartPolicy.onFailure(Integer.parseInt(t.substring("on-failure:".length())));
            } catch (RuntimeException e) {
                // falls through
            }
        }
        throw new HostException(HostError.INVALID_SPEC, "unknown restart policy '" + t + "'",
                "use no, always, on-failure or on-failure:N");
    }

    private static List<PortForwarder.Forward> forwardsOf(ContainerRecord r, String ip) {
        return r.ports().stream().map(p -> new PortForwarder.Forward(r.name(), p.hostPort(), ip, p.containerPort())).toList();
    }

    // ---- guest agents -------------------------------------------------------------------------------------------

    /** What the guest agent of a ready VM reports about itself and its guest (kernel, memory, its start-up time). */
    public dev.kiln.api.agent.GuestFacts facts(String vm) {
        return agent(readyVm(vm)).facts();
    }

    /** The result of pulling an image into a guest, with the time the call took as the host saw it. */
    public record PullResult(dev.kiln.api.agent.ImageInfo image, long millis) {}

    /** Has the VM's agent pull an image from the daemon's registry (layers it already has are kept). */
    public PullResult pull(String vm, String reference) {
        String pull = pullReference(reference);
        VmRecord r = readyVm(vm);
        long t0 = System.nanoTime();
        var info = agent(r).pull(new dev.kiln.api.agent.PullRequest(pull, Optional.of(registryUrl.get())));
        return new PullResult(info, (System.nanoTime() - t0) / 1_000_000);
    }

    private VmRecord readyVm(String nameOrId) {
        VmRecord vm = vms.find(nameOrId).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                "no VM named '" + nameOrId + "'", "list VMs with 'kiln vm ls'"));
        if (!vms.get(vm.id()).ready()) {
            throw new HostException(HostError.INVALID_PHASE, "VM " + vm.name() + " is not ready", "wait until it runs");
        }
        return vm;
    }

    // ---- queries and commands ------------------------------------------------------------------------------------

    public List<ContainerView> list() {
        var out = new ArrayList<ContainerView>();
        Map<String, List<ContainerInfo>> byVm = new java.util.HashMap<>();
        for (ContainerRecord r : records.values().stream().filter(r -> !r.agentId().isEmpty())
                .sorted(java.util.Comparator.comparing(ContainerRecord::createdAt)).toList()) {
            Optional<VmRecord> vm = vms.find(r.vmId());
            if (vm.isEmpty()) {
                out.add(ContainerView.unknown(r, "", "its VM " + r.vmName() + " is gone"));
                continue;
            }
            try {
                List<ContainerInfo> infos = byVm.computeIfAbsent(r.vmId(), k -> agent(vm.get()).list());
                out.add(infos.stream().filter(i -> i.id().equals(r.agentId())).findFirst()
                        .map(i -> ContainerView.of(r, vm.get().ip(), i))
                        .orElse(ContainerView.unknown(r, vm.get().ip(), "the guest agent does not know it")));
            } catch (HostException e) {
                out.add(ContainerView.unknown(r, vm.get().ip(), e.getMessage()));
            }
        }
        return out;
    }

    /** The containers in one VM, from one call to its agent (its containers show as unknown if it does not answer). */
    public List<ContainerView> listIn(String vmName) {
        Optional<VmRecord> vm = vms.find(vmName);
        if (vm.isEmpty()) {
            return List.of();
        }
        List<ContainerRecord> mine = records.values().stream()
                .filter(r -> !r.agentId().isEmpty() && r.vmId().equals(vm.get().id()))
                .sorted(java.util.Comparator.comparing(ContainerRecord::createdAt)).toList();
        if (mine.isEmpty()) {
            return List.of();
        }
        try {
            List<ContainerInfo> infos = agent(vm.get()).list();
            return mine.stream().map(r -> infos.stream().filter(i -> i.id().equals(r.agentId())).findFirst()
                    .map(i -> ContainerView.of(r, vm.get().ip(), i))
                    .orElse(ContainerView.unknown(r, vm.get().ip(), "the guest agent does not know it"))).toList();
        } catch (HostException e) {
            return mine.stream().map(r -> ContainerView.unknown(r, vm.get().ip(), e.getMessage())).toList();
        }
    }

    public ContainerView get(String name) {
        ContainerRecord r = record(name);
        VmRecord vm = vmOf(r);
        return ContainerView.of(r, vm.ip(), agent(vm).get(r.agentId()));
    }

    public ExecResult exec(String name, ExecRequest request) {
        ContainerRecord r = record(name);
        return agent(vmOf(r)).exec(r.agentId(), request);
    }

    public ContainerStats stats(String name) {
        ContainerRecord r = record(name);
        return agent(vmOf(r)).stats(r.agentId());
    }

    public InputStream logs(String name, boolean follow, String stream) {
        ContainerRecord r = record(name);
        return agent(vmOf(r)).logs(r.agentId(), follow, stream);
    }

    /** A file of the container's root file system (the caller closes the stream). */
    public InputStream readFile(String name, String path) {
        ContainerRecord r = record(name);
        return agent(vmOf(r)).readFile(r.agentId(), path);
    }

    /** Writes a file into the container's root file system. */
    public void writeFile(String name, String path, String mode, java.util.function.Supplier<InputStream> content) {
        ContainerRecord r = record(name);
        agent(vmOf(r)).writeFile(r.agentId(), path, mode, content);
    }

    public ContainerView stop(String name, Duration timeout) {
        ContainerRecord r = record(name);
        VmRecord vm = vmOf(r);
        return ContainerView.of(r, vm.ip(), agent(vm).stop(r.agentId(), timeout));
    }

    /** Removes the container (a running one only with force), its forwards, and its VM when it owns one. */
    public void remove(String name, boolean force) {
        ContainerRecord r = record(name);
        Optional<VmRecord> vm = vms.find(r.vmId());
        if (vm.isPresent() && !vms.hasEnded(vm.get().id())) {
            try {
                agent(vm.get()).remove(r.agentId(), force);
            } catch (HostException e) {
                if (!force || e.code() == HostError.NAME_TAKEN) throw e; // NAME_TAKEN = the agent's CONFLICT: still running
                LOG.warn("container {}: the agent could not remove it ({}); removing its VM anyway", name, e.getMessage());
            }
        }
        forwards.close(name);
        if (r.ownsVm() && vm.isPresent()) {
            vms.remove(vm.get().id(), true);
        }
        store.delete(name);
        records.remove(name);
    }

    /**
     * Forgets a container whose VM is being removed because its guest agent does not answer: the container dies with
     * the VM, so only its forwards and record go, and no call waits for an agent that would not answer. Unknown
     * names are ignored.
     */
    public void forget(String name) {
        ContainerRecord r = records.get(name);
        if (r == null) {
            return;
        }
        forwards.close(name);
        store.delete(name);
        records.remove(name);
    }

    // ---- pod networks ---------------------------------------------------------------------------------------

    /** The prefix of the owners of pods' addresses on their VM's lease. */
    public static final String POD_OWNER_PREFIX = "pod:";

    /** The owner of a pod's extra address on its VM's lease. */
    public static String addressOwner(String pod) {
        return POD_OWNER_PREFIX + pod;
    }

    /** The pods that hold an address on VM {@code vmName}'s lease. */
    public java.util.Set<String> podsWithAddresses(String vmName) {
        return vms.addresses(vmName).keySet().stream().filter(o -> o.startsWith(POD_OWNER_PREFIX))
                .map(o -> o.substring(POD_OWNER_PREFIX.length())).collect(java.util.stream.Collectors.toSet());
    }

    /**
     * Gives a pod its own network in VM {@code vmName}: an address of this host's subnet leased on the VM's tap, and
     * in the guest a network namespace with that address on an ipvlan link of the VM's NIC. Idempotent. On failure
     * the address is released again.
     *
     * @return the pod's address, without prefix
     */
    public String openPodNetwork(String vmName, String pod) {
        VmRecord vm = vms.require(vmName);
        String address = vms.addAddress(vm.id(), addressOwner(pod));
        try {
            agent(vm).putPodNetwork(pod, new dev.kiln.api.agent.PodNetworkRequest(address, vm.gateway()));
        } catch (RuntimeException e) {
            vms.releaseAddress(vm.id(), addressOwner(pod));
            throw HostException.from(e);
        }
        return address.substring(0, address.indexOf('/'));
    }

    /**
     * Removes a pod's network (its containers first): the namespace in the guest when the VM still runs, then the
     * address on the VM's tap. Idempotent.
     */
    public void closePodNetwork(String vmName, String pod) {
        closePodNetwork(vmName, pod, true);
    }

    /**
     * As {@link #closePodNetwork(String, String)}; with {@code askAgent} false (a VM being removed because its agent
     * does not answer) only the address is released, and the namespace goes with the VM.
     */
    public void closePodNetwork(String vmName, String pod, boolean askAgent) {
        Optional<VmRecord> vm = vms.find(vmName);
        if (vm.isEmpty()) {
            return; // its lease, and so the pod's address, went with the VM
        }
        if (askAgent && !vms.hasEnded(vm.get().id())) {
            try {
                agent(vm.get()).deletePodNetwork(pod);
            } catch (HostException e) {
                LOG.debug("pod {}: cannot remove its network in VM {}: {}", pod, vmName, e.getMessage());
            }
        }
        vms.releaseAddress(vm.get().id(), addressOwner(pod));
    }

    /** Removes every container (for daemon shutdown with cleanup). */
    public void removeAll() {
        for (String name : List.copyOf(records.keySet())) {
            try {
                remove(name, true);
            } catch (RuntimeException e) {
                LOG.warn("cannot remove container {}: {}", name, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        forwards.close();
    }

    private ContainerRecord record(String name) {
        ContainerRecord r = records.get(name);
        if (r == null || r.agentId().isEmpty()) {
            Optional<ContainerRecord> byId = records.values().stream()
                    .filter(c -> !c.agentId().isEmpty() && c.agentId().startsWith(name)).findFirst();
            return byId.orElseThrow(() -> new HostException(HostError.CONTAINER_NOT_FOUND, "no container named '" + name + "'",
                    "list containers with 'kiln ps'"));
        }
        return r;
    }

    private VmRecord vmOf(ContainerRecord r) {
        return vms.find(r.vmId()).orElseThrow(() -> new HostException(HostError.VM_NOT_FOUND,
                "container " + r.name() + "'s VM " + r.vmName() + " is gone", "remove the container with 'kiln rm " + r.name() + "'"));
    }

    private static AgentClient agent(VmRecord vm) {
        return new AgentClient(vm.ip(), vm.token());
    }
}
