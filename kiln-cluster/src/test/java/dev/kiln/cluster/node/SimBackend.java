package dev.kiln.cluster.node;

import dev.kiln.cluster.model.ContainerStatus;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resources;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A simulated host for the control logic at scale: a "VM" boots after {@code bootTime} and a "pod" runs after
 * {@code podStartTime}, on the simulation's clock. Faults: {@link #killVm} (the VMM exits; like the real backend, it
 * tells the runtime at once through {@link #onVmEnded}) and {@link #hangAgent} (the VM runs but its agent no longer
 * answers). Nothing here is a real VM; the real path is tested with QEMU.
 */
final class SimBackend implements NodeBackend {
    private final String host;
    private final Clock clock;
    private final Resources capacity;
    private final Duration bootTime;
    private final Duration podStartTime;
    private final Map<String, SimVm> vms = new TreeMap<>();
    private final java.util.List<VmEnded> ended = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static final class SimVm {
        final Instant bootedAt;
        boolean healthy = true;
        final Map<String, SimPod> pods = new TreeMap<>();

        SimVm(Instant bootedAt) {
            this.bootedAt = bootedAt;
        }
    }

    private record SimPod(String uid, Instant runningAt) {
    }

    SimBackend(String host, Clock clock, Resources capacity, Duration bootTime, Duration podStartTime) {
        this.host = host;
        this.clock = clock;
        this.capacity = capacity;
        this.bootTime = bootTime;
        this.podStartTime = podStartTime;
    }

    @Override
    public synchronized Observed observe() {
        Instant now = clock.instant();
        Map<String, Observed.Vm> seenVms = new HashMap<>();
        Map<String, Map<String, Observed.PodRun>> seenPods = new HashMap<>();
        vms.forEach((node, vm) -> {
            boolean up = !now.isBefore(vm.bootedAt);
            seenVms.put(node, new Observed.Vm(node, up ? Observed.VmState.RUNNING : Observed.VmState.BOOTING,
                    Optional.of("sim-" + node), Optional.of("10.9.0.1"), up && vm.healthy, Optional.empty()));
            Map<String, Observed.PodRun> runs = new HashMap<>();
            vm.pods.forEach((pod, p) -> {
                boolean running = !now.isBefore(p.runningAt());
                runs.put(pod, new Observed.PodRun(pod, p.uid(), running ? Observed.PodState.RUNNING
                        : Observed.PodState.STARTING, List.of(new ContainerStatus("main", running, 0,
                        running ? ContainerStatus.RUNNING : ContainerStatus.WAITING, Optional.empty(),
                        Optional.empty(), Optional.empty())), Optional.empty()));
            });
            seenPods.put(node, runs);
        });
        return new Observed(seenVms, seenPods);
    }

    @Override
    public synchronized void startVm(Node node) {
        vms.putIfAbsent(node.name(), new SimVm(clock.instant().plus(bootTime)));
    }

    @Override
    public synchronized void removeVm(String nodeName) {
        vms.remove(nodeName);
    }

    @Override
    public synchronized void startPod(String nodeName, Pod pod) {
        SimVm vm = vms.get(nodeName);
        if (vm != null) {
            vm.pods.put(pod.name(), new SimPod(pod.metadata().uid().orElseThrow(), clock.instant().plus(podStartTime)));
        }
    }

    @Override
    public synchronized void removePod(String nodeName, String podName) {
        SimVm vm = vms.get(nodeName);
        if (vm != null) {
            vm.pods.remove(podName);
        }
    }

    @Override
    public Resources capacity() {
        return capacity;
    }

    @Override
    public String address() {
        return host + ".sim";
    }

    @Override
    public Map<String, String> labels() {
        return Map.of("sim", "true");
    }

    @Override
    public synchronized void fence() {
        vms.clear();
    }

    @Override
    public void onVmEnded(VmEnded listener) {
        ended.add(listener);
    }

    /** The VMM of {@code node} exits: the VM is gone, and the listeners hear of it at once. */
    void killVm(String node) {
        boolean had;
        synchronized (this) {
            had = vms.remove(node) != null;
        }
        if (had) {
            ended.forEach(l -> l.ended(node, "the VMM exited: killed by signal 9"));
        }
    }

    synchronized void hangAgent(String node) {
        SimVm vm = vms.get(node);
        if (vm != null) {
            vm.healthy = false;
        }
    }

    synchronized List<String> nodes() {
        return List.copyOf(vms.keySet());
    }

    /** Pod name → node, for every pod whose containers run here now. */
    synchronized Map<String, List<String>> running() {
        Instant now = clock.instant();
        Map<String, List<String>> out = new HashMap<>();
        vms.forEach((node, vm) -> vm.pods.forEach((pod, p) -> {
            if (!now.isBefore(p.runningAt())) {
                out.computeIfAbsent(pod, k -> new java.util.ArrayList<>()).add(node);
            }
        }));
        return out;
    }
}
