package dev.kiln.host.cluster;

import dev.kiln.cluster.model.Node;
import dev.kiln.host.HostException;
import dev.kiln.host.VmCreateRequest;
import dev.kiln.host.VmService;
import dev.kiln.host.VmView;
import dev.kiln.vmm.ByteSize;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Pre-booted microVMs for new Nodes: for each node profile this host has booted, it keeps {@code size} idle VMs
 * ({@code kw-<hex>}) booted and ready. A new Node of that profile takes one at once instead of waiting for a boot
 * (seconds under emulation), and the pool boots another in the background. Profiles with a scratch size of their own
 * are not pooled. Idle pool VMs are not Nodes: they are never observed as such and are removed with the cluster.
 */
final class WarmPool {
    private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);
    static final String PREFIX = "kw-";

    /** What makes two VMs interchangeable. */
    record Profile(int cpus, long memoryMiB, String driver) {
        static Optional<Profile> of(Node node) {
            var p = node.spec().profile();
            if (p.scratchBytes().isPresent()) {
                return Optional.empty();
            }
            return Optional.of(new Profile(Math.max(1, p.cpus()), p.memoryBytes() >> 20, node.spec().driver()));
        }

        VmCreateRequest request(String name) {
            VmCreateRequest r = VmCreateRequest.empty().named(name).withVcpus(cpus).withMemory(memoryMiB + "M");
            return driver.equals("auto") ? r : r.withDriver(driver);
        }

        boolean matches(VmView v) {
            return v.vcpus() == cpus && ByteSize.parse(v.memory()).mebibytes() == memoryMiB
                    && (driver.equals("auto") || v.driver().equals(driver));
        }
    }

    private final VmService vms;
    private final NodeVms claimed;
    private final int size;
    private final ExecutorService work;
    private final Map<String, Profile> booting = new ConcurrentHashMap<>();
    private final Set<Profile> wanted = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    WarmPool(VmService vms, NodeVms claimed, int size, ExecutorService work) {
        this.vms = vms;
        this.claimed = claimed;
        this.size = size;
        this.work = work;
    }

    private List<VmView> idle() {
        return vms.list().stream().filter(v -> v.name().startsWith(PREFIX) && !claimed.isClaimed(v.name())).toList();
    }

    /** Gives {@code node} a ready pool VM of its profile, if there is one; the pool is then refilled. */
    synchronized Optional<String> take(Node node) {
        Optional<Profile> profile = Profile.of(node);
        if (profile.isEmpty() || size == 0) {
            return Optional.empty();
        }
        wanted.add(profile.get());
        Optional<String> vm = idle().stream().filter(v -> v.phase().equals("running") && v.ready()
                && profile.get().matches(v)).map(VmView::name).findFirst();
        vm.ifPresent(name -> {
            claimed.claim(node.name(), name);
            LOG.info("node {}: took the pre-booted microVM {} from the warm pool", node.name(), name);
        });
        refill();
        return vm;
    }

    /** Boots pool VMs until each wanted profile has {@code size} idle ones (ready or booting). */
    synchronized void refill() {
        if (closed) {
            return;
        }
        List<VmView> idle = idle();
        for (Profile p : wanted) {
            long have = idle.stream().filter(v -> !v.phase().equals("failed") && !v.phase().equals("stopped")
                    && p.matches(v)).count() + booting.values().stream().filter(p::equals).count();
            for (long i = have; i < size; i++) {
                String name = PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
                booting.put(name, p);
                work.execute(() -> boot(name, p));
            }
        }
        // failed pool VMs are removed; the next refill replaces them
        idle.stream().filter(v -> v.phase().equals("failed") || v.phase().equals("stopped"))
                .forEach(v -> work.execute(() -> remove(v.name())));
    }

    private void boot(String name, Profile p) {
        try {
            vms.create(p.request(name), true);
            LOG.info("warm pool: {} is booted and ready", name);
        } catch (HostException e) {
            LOG.warn("warm pool: {} failed to boot: {}", name, e.getMessage());
        } finally {
            booting.remove(name);
        }
    }

    private void remove(String name) {
        try {
            vms.remove(name, true);
        } catch (HostException e) {
            LOG.debug("warm pool: {}", e.getMessage());
        }
    }

    /** Stops refilling (the idle VMs stay, for a restarted daemon; {@link #removeIdle()} removes them). */
    void close() {
        closed = true;
    }

    /** Removes every idle pool VM (leaving the cluster). */
    void removeIdle() {
        closed = true;
        idle().forEach(v -> remove(v.name()));
    }
}
