package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.agent.FunctionSetup;
import dev.kiln.host.FunctionReply;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The micro-manager's routing, scale-out, throttling and reclaim, against slots in memory and a hand-moved clock. */
public class SlotManagerTest {
    /** A clock the test moves. */
    public static final class HandClock extends Clock {
        private volatile Instant now = Instant.parse("2026-11-23T12:00:00Z");

        public void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Slots that answer with their own id; an invocation can be held until the test releases it. */
    static final class MemorySlots implements SlotBackend {
        final AtomicInteger opened = new AtomicInteger();
        final Set<String> open = ConcurrentHashMap.newKeySet();
        final List<String> closed = new ArrayList<>();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        volatile CountDownLatch hold = new CountDownLatch(0);
        volatile boolean failOpen;
        volatile CountDownLatch openHold = new CountDownLatch(0);

        @Override
        public Slot open(FunctionVersion fn) {
            if (failOpen) {
                throw new IllegalStateException("no VM for you");
            }
            try {
                openHold.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String id = fn.setup().name() + "-slot" + opened.incrementAndGet();
            open.add(id);
            AtomicInteger inThisSlot = new AtomicInteger();
            return new Slot() {
                @Override
                public String id() {
                    return id;
                }

                @Override
                public FunctionReply invoke(byte[] event, Duration timeout) {
                    assertThat(inThisSlot.incrementAndGet()).as("one invocation per slot").isEqualTo(1);
                    mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        hold.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    running.decrementAndGet();
                    inThisSlot.decrementAndGet();
                    if (new String(event).equals("crash")) {
                        throw new IllegalStateException("the slot's VM is gone");
                    }
                    return new FunctionReply("r", Optional.empty(), id.getBytes(), Optional.empty(), 1.0);
                }

                @Override
                public void close() {
                    synchronized (closed) {
                        closed.add(id);
                    }
                    open.remove(id);
                }
            };
        }
    }

    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    private final HandClock clock = new HandClock();
    private final MemorySlots slots = new MemorySlots();

    private SlotManager manager(int maxSlots, int queueDepth, Duration queueWait) {
        return new SlotManager(slots, clock, new SlotManager.Config(Duration.ofMinutes(5), maxSlots, queueDepth,
                queueWait, Duration.ofSeconds(1)));
    }

    private static FunctionVersion fn(String name, Optional<Integer> reserved) {
        return new FunctionVersion(new FunctionSetup(name, "1", "arn", "r", "python3", "app.handler", 128,
                Duration.ofSeconds(3), Duration.ofSeconds(10), Map.of(), Optional.empty(), Optional.empty(), List.of()),
                new byte[] {1}, reserved);
    }

    @Test
    void repeatedInvocationsReuseTheWarmSlot() {
        var m = manager(8, 4, Duration.ofSeconds(1));
        var first = m.invoke(fn("a", Optional.empty()), "1".getBytes());
        var second = m.invoke(fn("a", Optional.empty()), "2".getBytes());
        var third = m.invoke(fn("a", Optional.empty()), "3".getBytes());
        assertThat(first.cold()).isTrue();
        assertThat(second.cold()).isFalse();
        assertThat(third.slot()).isEqualTo(first.slot()).isEqualTo(second.slot());
        assertThat(slots.opened).hasValue(1);
        assertThat(m.slots()).containsExactly(Map.entry("a:1", 1));
    }

    @Test
    void aColdStartsSlotIsBootingThenInitializingThenIdle() throws Exception {
        var m = manager(8, 4, Duration.ofSeconds(1));
        slots.openHold = new CountDownLatch(1);
        slots.hold = new CountDownLatch(1);
        var call = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.empty()), "1".getBytes()), threads);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> m.starting("a:1").equals(new SlotManager.Starting(1, 0)));
        slots.openHold.countDown();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> m.starting("a:1").equals(new SlotManager.Starting(0, 1)));
        slots.hold.countDown();
        assertThat(call.get().cold()).isTrue();
        assertThat(m.starting("a:1")).isEqualTo(new SlotManager.Starting(0, 0));
        assertThat(m.idleSlots()).containsExactly(Map.entry("a:1", 1));
        slots.hold = new CountDownLatch(1); // a warm invocation is busy, not initializing
        var warm = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.empty()), "2".getBytes()), threads);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.running.get() == 1);
        assertThat(m.starting("a:1")).isEqualTo(new SlotManager.Starting(0, 0));
        slots.hold.countDown();
        assertThat(warm.get().cold()).isFalse();
    }

    @Test
    void aBurstOfNConcurrentInvocationsGetsNSlotsAndThenTheyAreReused() throws Exception {
        var m = manager(8, 4, Duration.ofSeconds(5));
        slots.hold = new CountDownLatch(1);
        List<CompletableFuture<SlotManager.Result>> burst = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            burst.add(CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.empty()), "x".getBytes()), threads));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.running.get() == 5);
        slots.hold.countDown();
        assertThat(burst.stream().map(CompletableFuture::join).map(SlotManager.Result::slot).distinct()).hasSize(5);
        assertThat(slots.mostAtOnce).hasValue(5);
        var again = m.invoke(fn("a", Optional.empty()), "y".getBytes());
        assertThat(again.cold()).isFalse();
        assertThat(slots.opened).hasValue(5);
    }

    @Test
    void pastReservedConcurrencyInvocationsQueueThenAreThrottled() throws Exception {
        var m = manager(8, 1, Duration.ofMillis(300));
        slots.hold = new CountDownLatch(1);
        var busy = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.of(1)), "x".getBytes()), threads);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.running.get() == 1);
        // one may wait; it gives up after the queue wait
        var queued = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.of(1)), "y".getBytes()), threads);
        Thread.sleep(50);
        assertThatThrownBy(() -> m.invoke(fn("a", Optional.of(1)), "z".getBytes()))
                .as("the queue is full").isInstanceOf(ThrottledException.class).hasMessageContaining("Rate Exceeded");
        assertThatThrownBy(queued::join).hasCauseInstanceOf(ThrottledException.class);
        slots.hold.countDown();
        busy.join();
        assertThat(slots.opened).as("never more than the reserved concurrency").hasValue(1);
    }

    @Test
    void aQueuedInvocationTakesTheSlotThatComesFree() throws Exception {
        var m = manager(8, 4, Duration.ofSeconds(5));
        slots.hold = new CountDownLatch(1);
        var busy = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.of(1)), "x".getBytes()), threads);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slots.running.get() == 1);
        var queued = CompletableFuture.supplyAsync(() -> m.invoke(fn("a", Optional.of(1)), "y".getBytes()), threads);
        Thread.sleep(100);
        slots.hold.countDown();
        assertThat(queued.get(5, TimeUnit.SECONDS).slot()).isEqualTo(busy.join().slot());
        assertThat(queued.join().cold()).isFalse();
    }

    @Test
    void idleSlotsAreReclaimedAfterTheKeepAlive() {
        var m = manager(8, 4, Duration.ofSeconds(1));
        String a = m.invoke(fn("a", Optional.empty()), "1".getBytes()).slot();
        clock.advance(Duration.ofMinutes(3));
        String b = m.invoke(fn("b", Optional.empty()), "1".getBytes()).slot();
        assertThat(m.reclaimIdle()).isZero();
        clock.advance(Duration.ofMinutes(2));
        assertThat(m.reclaimIdle()).as("a idle 5 min").isEqualTo(1);
        assertThat(slots.closed).containsExactly(a);
        assertThat(m.slots()).containsOnlyKeys("b:1");
        clock.advance(Duration.ofMinutes(3));
        assertThat(m.reclaimIdle()).isEqualTo(1);
        assertThat(slots.open).isEmpty();
        assertThat(m.slots()).isEmpty();
        assertThat(m.invoke(fn("a", Optional.empty()), "1".getBytes()).cold()).as("scaled to zero: cold again").isTrue();
        assertThat(b).isNotEqualTo(a);
    }

    @Test
    void atTheHostLimitTheLeastRecentlyUsedIdleSlotOfAnotherFunctionMakesRoom() {
        var m = manager(2, 4, Duration.ofMillis(200));
        String a = m.invoke(fn("a", Optional.empty()), "1".getBytes()).slot();
        clock.advance(Duration.ofSeconds(1));
        m.invoke(fn("b", Optional.empty()), "1".getBytes());
        clock.advance(Duration.ofSeconds(1));
        var c = m.invoke(fn("c", Optional.empty()), "1".getBytes());
        assertThat(c.cold()).isTrue();
        assertThat(slots.closed).containsExactly(a);
        assertThat(m.slots()).containsOnlyKeys("b:1", "c:1");
    }

    @Test
    void aSlotThatFailsOrCannotOpenIsNotKeptAndLeavesRoom() {
        var m = manager(1, 4, Duration.ofMillis(200));
        slots.failOpen = true;
        assertThatThrownBy(() -> m.invoke(fn("a", Optional.empty()), "1".getBytes())).hasMessageContaining("no VM");
        slots.failOpen = false;
        assertThatThrownBy(() -> m.invoke(fn("a", Optional.empty()), "crash".getBytes())).hasMessageContaining("gone");
        assertThat(m.slots()).isEmpty();
        assertThat(slots.open).isEmpty();
        assertThat(m.invoke(fn("a", Optional.empty()), "ok".getBytes()).cold()).isTrue();
    }

    @Test
    void closingClosesEverySlot() {
        var m = manager(8, 4, Duration.ofSeconds(1));
        m.invoke(fn("a", Optional.empty()), "1".getBytes());
        m.invoke(fn("b", Optional.empty()), "1".getBytes());
        m.close();
        assertThat(slots.open).isEmpty();
        assertThatThrownBy(() -> m.invoke(fn("a", Optional.empty()), "1".getBytes())).hasMessageContaining("closed");
    }
}
