package dev.kiln.host.cluster;

import dev.kiln.cluster.model.Node;
import dev.kiln.host.HostException;
import dev.kiln.host.VmCreateRequest;
import dev.kiln.host.VmService;
import dev.kiln.host.VmView;
import dev.kiln.host.fn.PoolSizing;
import dev.kiln.vmm.ByteSize;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Pre-booted microVMs for new Nodes: for each node profile this host has booted, it keeps idle VMs ({@code kw-<hex>})
 * booted and ready. A new Node of that profile takes one at once instead of waiting for a boot (seconds under
 * emulation), and the pool boots another in the background. How many it keeps follows demand
 * ({@link PoolSizing#floorPlusRecent}): at least {@code min}, plus one for each new Node of the profile in the last
 * {@link #DEMAND_WINDOW}, at most {@code max}; VMs above that are removed when the demand has passed. Profiles with a
 * scratch size of their own are not pooled. Idle pool VMs are not Nodes: they are never observed as such and are
 * removed with the cluster.
 */
final class WarmPool {
    private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);
    static final String PREFIX = "kw-";
    /** How long a new Node counts as demand for its profile. */
    static final Duration DEMAND_WINDOW = Duration.ofMinutes(5);

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
    private final int min;
    private final int max;
    private final Clock clock;
    private final ExecutorService work;
    private final Map<String, Profile> booting = new ConcurrentHashMap<>();
    private final Set<String> removing = ConcurrentHashMap.newKeySet();
    /** The profiles new Nodes asked for, with when: the demand the pool is sized from. */
    private final Map<Profile, Deque<Instant>> asked = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param min at least this many idle VMs per profile that a Node has asked for
     * @param max at most this many (a max below {@code min} is {@code min}: a fixed size)
     */
    WarmPool(VmService vms, NodeVms claimed, int min, int max, Clock clock, ExecutorService work) {
        if (min < 0 || max < 0) {
            throw new IllegalArgumentException("a warm pool's size cannot be negative: " + min + ", " + max);
        }
        this.vms = vms;
        this.claimed = claimed;
        this.min = min;
        this.max = Math.max(min, max);
        this.clock = clock;
        this.work = work;
    }

    /** How many idle VMs of {@code profile} the pool keeps now. */
    synchronized int target(Profile profile) {
        Instant now = clock.instant();
        Deque<Instant> times = asked.getOrDefault(profile, new ArrayDeque<>());
        while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(DEMAND_WINDOW))) {
            times.pollFirst();
        }
        return PoolSizing.floorPlusRecent(times, now, DEMAND_WINDOW, min, max);
    }

    private List<VmView> idle() {
        return vms.list().stream().filter(v -> v.name().startsWith(PREFIX) && !claimed.isClaimed(v.name())).toList();
    }

    /** Gives {@code node} a ready pool VM of its profile, if there is one; the pool is then refilled. */
    synchronized Optional<String> take(Node node) {
        Optional<Profile> profile = Profile.of(node);
        if (profile.isEmpty() || max == 0) {
            return Optional.empty();
        }
        asked.computeIfAbsent(profile.get(), k -> new ArrayDeque<>()).addLast(clock.instant());
        Optional<String> vm = idle().stream().filter(v -> v.phase().equals("running") && v.ready()
                && profile.get().matches(v)).map(VmView::name).findFirst();
        vm.ifPresent(name -> {
            claimed.claim(node.name(), name);
            LOG.info("node {}: took the pre-booted microVM {} from the warm pool", node.name(), name);
        });
        refill();
        return vm;
    }

    /**
     * Boots pool VMs until each profile that was asked for has its {@linkplain #target target} of idle ones (ready or
     * booting), and removes ready ones above it.
     */
    synchronized void refill() {
        if (closed) {
            return;
        }
        List<VmView> idle = idle().stream().filter(v -> !removing.contains(v.name())).toList();
        for (Profile p : asked.keySet()) {
            int target = target(p);
            List<VmView> mine = idle.stream().filter(v -> !v.phase().equals("failed") && !v.phase().equals("stopped")
                    && !booting.containsKey(v.name()) && p.matches(v)).toList();
            long have = mine.size() + booting.values().stream().filter(p::equals).count();
            for (long i = have; i < target; i++) {
                String name = PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
                booting.put(name, p);
                work.execute(() -> boot(name, p));
            }
            // demand passed: the VMs above the target go (ready ones; a booting one is counted and left alone)
            mine.stream().filter(v -> v.phase().equals("running") && v.ready())
                    .limit(Math.max(0, have - target)).forEach(v -> {
                removing.add(v.name());
                LOG.info("warm pool: removing {}: recent demand asks for {} of its profile", v.name(), target);
                work.execute(() -> remove(v.name()));
            });
        }
        // failed pool VMs are removed; the next refill replaces them
        idle.stream().filter(v -> v.phase().equals("failed") || v.phase().equals("stopped")).forEach(v -> {
            removing.add(v.name());
            work.execute(() -> remove(v.name()));
        });
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
        } finally {
            removing.remove(name);
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
