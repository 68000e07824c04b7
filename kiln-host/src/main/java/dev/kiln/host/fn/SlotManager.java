package dev.kiln.host.fn;

import dev.kiln.host.FunctionReply;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A host's micro-manager for function slots. An invocation goes to an idle slot of its function version, the most
 * recently used first (sticky: the warmest runtime, and the others age out); when none is idle and the function is
 * under its concurrency, a new slot is opened (a cold start); past that, the invocation waits in a bounded queue for a
 * slot to come free, and is throttled ({@link ThrottledException}, Lambda's 429) when the queue is full or the wait
 * runs out. One invocation per slot at a time. Slots idle longer than the keep-alive are closed by
 * {@link #reclaimIdle()} (scale to zero). When the host is at its slot limit, an idle slot of another function is
 * closed to make room.
 */
public final class SlotManager implements AutoCloseable {
    /**
     * @param keepAlive  how long an idle slot is kept warm
     * @param maxSlots   the most slots on this host, all functions together
     * @param queueDepth the most invocations of one function waiting for a slot
     * @param queueWait  how long one waits before it is throttled
     * @param margin     added to a function's timeout when waiting for its slot's answer
     */
    public record Config(Duration keepAlive, int maxSlots, int queueDepth, Duration queueWait, Duration margin) {
        public static Config defaults() {
            return new Config(Duration.ofMinutes(5), 16, 16, Duration.ofSeconds(10), Duration.ofSeconds(30));
        }
    }

    /**
     * How an invocation went, and where: the slot, whether it was opened for this invocation (cold), and then how
     * the opening went phase by phase (see {@link SlotBackend.Slot#openPhases()}; empty when warm).
     */
    public record Result(FunctionReply reply, String slot, boolean cold, SequencedMap<String, Long> phases) {
        public Result(FunctionReply reply, String slot, boolean cold) {
            this(reply, slot, cold, new LinkedHashMap<>());
        }
    }

    private record Idle(SlotBackend.Slot slot, Instant since) { }

    private final SlotBackend backend;
    private final Clock clock;
    private final Config config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final Map<String, Deque<Idle>> idle = new HashMap<>();
    private final Map<String, Integer> live = new HashMap<>();
    private final Map<String, Integer> waiting = new HashMap<>();
    /** Slots starting for a cold start, by key: their VM booting (opened), then their runtime initializing. */
    private final Map<String, Integer> booting = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> initializing = new java.util.concurrent.ConcurrentHashMap<>();
    private int total;
    private boolean closed;

    public SlotManager(SlotBackend backend, Clock clock, Config config) {
        this.backend = backend;
        this.clock = clock;
        this.config = config;
    }

    /** Runs one invocation of {@code fn} in one of its slots. */
    public Result invoke(FunctionVersion fn, byte[] event) {
        String key = fn.key();
        SlotBackend.Slot slot = null;
        SlotBackend.Slot evict = null;
        boolean cold = false;
        lock.lock();
        try {
            long waitNanos = config.queueWait().toNanos();
            boolean queued = false;
            try {
                while (true) {
                    if (closed) {
                        throw new IllegalStateException("the slot manager is closed");
                    }
                    Deque<Idle> ready = idle.get(key);
                    if (ready != null && !ready.isEmpty()) {
                        slot = ready.pollFirst().slot();
                        break;
                    }
                    int limit = fn.reservedConcurrency().orElse(config.maxSlots());
                    if (live.getOrDefault(key, 0) < limit) {
                        if (total >= config.maxSlots()) {
                            evict = leastRecentlyUsedIdleOfAnother(key);
                        }
                        if (total < config.maxSlots() || evict != null) {
                            live.merge(key, 1, Integer::sum);
                            if (evict == null) {
                                total++;
                            }
                            cold = true;
                            break;
                        }
                    }
                    if (!queued) {
                        if (waiting.getOrDefault(key, 0) >= config.queueDepth()) {
                            throw new ThrottledException("Rate Exceeded: " + key + " has " + live.getOrDefault(key, 0)
                                    + " busy slots and " + config.queueDepth() + " invocations waiting");
                        }
                        waiting.merge(key, 1, Integer::sum);
                        queued = true;
                    }
                    if (waitNanos <= 0) {
                        throw new ThrottledException("Rate Exceeded: no slot of " + key + " came free within "
                                + config.queueWait().toMillis() + " ms");
                    }
                    waitNanos = freed.awaitNanos(waitNanos);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ThrottledException("interrupted while waiting for a slot of " + key);
            } finally {
                if (queued) {
                    waiting.merge(key, -1, Integer::sum);
                }
            }
        } finally {
            lock.unlock();
        }
        if (evict != null) {
            evict.close();
        }
        if (cold) {
            booting.merge(key, 1, Integer::sum);
            try {
                slot = backend.open(fn);
            } catch (RuntimeException e) {
                dropped(key);
                throw e;
            } finally {
                booting.merge(key, -1, Integer::sum);
            }
            initializing.merge(key, 1, Integer::sum);
        }
        FunctionReply reply;
        try {
            reply = slot.invoke(event, fn.setup().timeout().plus(fn.setup().initTimeout()).plus(config.margin()));
        } catch (RuntimeException e) {
            // the slot itself failed (its VM or agent is gone): it is not given out again
            slot.close();
            dropped(key);
            throw e;
        } finally {
            if (cold) {
                initializing.merge(key, -1, Integer::sum);
            }
        }
        lock.lock();
        try {
            if (closed) {
                total--;
                live.merge(key, -1, Integer::sum);
                slot.close();
            } else {
                idle.computeIfAbsent(key, k -> new ArrayDeque<>()).addFirst(new Idle(slot, clock.instant()));
                freed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        return new Result(reply, slot.id(), cold, cold ? slot.openPhases() : new LinkedHashMap<>());
    }

    private SlotBackend.Slot leastRecentlyUsedIdleOfAnother(String key) {
        String oldestKey = null;
        Idle oldest = null;
        for (var e : idle.entrySet()) {
            if (e.getKey().equals(key) || e.getValue().isEmpty()) {
                continue;
            }
            Idle candidate = e.getValue().peekLast();
            if (oldest == null || candidate.since().isBefore(oldest.since())) {
                oldest = candidate;
                oldestKey = e.getKey();
            }
        }
        if (oldest == null) {
            return null;
        }
        idle.get(oldestKey).pollLast();
        live.merge(oldestKey, -1, Integer::sum);
        return oldest.slot();
    }

    private void dropped(String key) {
        lock.lock();
        try {
            live.merge(key, -1, Integer::sum);
            total--;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the idle slots of function {@code name} except those of {@code keep} (its current key), after an update
     * or (with an empty {@code keep}) a delete; returns how many. Busy ones go back to idle when their invocation
     * ends and are reclaimed after the keep-alive.
     */
    public int retire(String name, Optional<String> keep) {
        List<SlotBackend.Slot> old = new ArrayList<>();
        lock.lock();
        try {
            for (var e : idle.entrySet()) {
                if (!e.getKey().startsWith(name + ":") || keep.filter(e.getKey()::equals).isPresent()) {
                    continue;
                }
                for (Idle i : e.getValue()) {
                    old.add(i.slot());
                    live.merge(e.getKey(), -1, Integer::sum);
                    total--;
                }
                e.getValue().clear();
            }
            freed.signalAll();
        } finally {
            lock.unlock();
        }
        old.forEach(SlotBackend.Slot::close);
        backend.retired(name, keep);
        return old.size();
    }

    /** Closes the slots idle for the keep-alive or longer; returns how many. */
    public int reclaimIdle() {
        List<SlotBackend.Slot> old = new ArrayList<>();
        lock.lock();
        try {
            Instant cutoff = clock.instant().minus(config.keepAlive());
            for (var e : idle.entrySet()) {
                var it = e.getValue().descendingIterator();
                while (it.hasNext()) {
                    Idle i = it.next();
                    if (i.since().isAfter(cutoff)) {
                        break;
                    }
                    it.remove();
                    old.add(i.slot());
                    live.merge(e.getKey(), -1, Integer::sum);
                    total--;
                }
            }
        } finally {
            lock.unlock();
        }
        old.forEach(SlotBackend.Slot::close);
        return old.size();
    }

    /** Slots per function version (idle and busy). */
    public Map<String, Integer> slots() {
        lock.lock();
        try {
            Map<String, Integer> out = new TreeMap<>();
            live.forEach((k, v) -> {
                if (v > 0) {
                    out.put(k, v);
                }
            });
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Idle slots per function version. */
    /** Whether cold starts of revision {@code key} are clones of a snapshot (see {@link SlotBackend#snapshotState}). */
    public String snapshotState(String key) {
        return backend.snapshotState(key);
    }

    /**
     * Slots starting for a cold start, by key: {@code booting} (the backend opens them: a VM boots or is taken from
     * the pool or restored) and {@code initializing} (their first invocation runs, the runtime's init with it).
     */
    public record Starting(int booting, int initializing) {
    }

    public Starting starting(String key) {
        return new Starting(booting.getOrDefault(key, 0), initializing.getOrDefault(key, 0));
    }

    public Map<String, Integer> idleSlots() {
        lock.lock();
        try {
            Map<String, Integer> out = new TreeMap<>();
            idle.forEach((k, v) -> {
                if (!v.isEmpty()) {
                    out.put(k, v.size());
                }
            });
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Closes every idle slot now; busy ones close when their invocation ends. */
    @Override
    public void close() {
        List<SlotBackend.Slot> all = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            for (var e : idle.entrySet()) {
                for (Idle i : e.getValue()) {
                    all.add(i.slot());
                    live.merge(e.getKey(), -1, Integer::sum);
                    total--;
                }
            }
            idle.clear();
            freed.signalAll();
        } finally {
            lock.unlock();
        }
        all.forEach(SlotBackend.Slot::close);
    }
}
