package dev.kiln.agent.function;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One function runtime's life in a slot, between the host's invocations and the runtime's calls to the Runtime API.
 * One invocation at a time, as Lambda does: {@link #submit} refuses a second while one is waiting or running.
 *
 * <p>Phases: {@code INITIALIZING} (the runtime is starting; its first {@code next} ends init), {@code IDLE},
 * {@code BUSY} (an invocation is waiting for the runtime or running in it), and {@code FAILED} (init error, runtime
 * exited, or an invocation timed out): a failed slot answers nothing more and its owner starts a new one. The runtime
 * learns an invocation's deadline when it picks it up; the timeout counts from then, as Lambda counts a handler's.
 */
public final class Slot {
    /** Where a slot is in its life. */
    public enum Phase { INITIALIZING, IDLE, BUSY, FAILED }

    /** An invocation the host submitted, the runtime's answer to come, and when the runtime picked it up. */
    public record Pending(Invocation invocation, CompletableFuture<Instant> pickedUp, CompletableFuture<Reply> reply) { }

    private final Clock clock;
    private final Duration timeout;
    private final long startNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CompletableFuture<Duration> init = new CompletableFuture<>();
    private Phase phase = Phase.INITIALIZING;
    private Pending waiting;
    private Pending running;
    private Reply failure;

    /** A slot whose invocations each get {@code timeout} from when the runtime picks them up. */
    public Slot(Clock clock, Duration timeout) {
        this.clock = clock;
        this.timeout = timeout;
    }

    public Phase phase() {
        lock.lock();
        try {
            return phase;
        } finally {
            lock.unlock();
        }
    }

    /** Completes with how long init took when the runtime first asks for work; fails if init fails. */
    public CompletableFuture<Duration> initialized() {
        return init;
    }

    /** The error that failed the slot, if it failed. */
    public Optional<Reply> failure() {
        lock.lock();
        try {
            return Optional.ofNullable(failure);
        } finally {
            lock.unlock();
        }
    }

    // ---- the host's side ----

    /**
     * Hands an invocation to the runtime (now if it waits in {@code next}, else when it next asks). Fails with
     * {@link SlotException} when the slot is busy or failed.
     */
    public Pending submit(Invocation invocation) {
        lock.lock();
        try {
            if (phase == Phase.FAILED) {
                throw new SlotException(SlotException.Reason.FAILED, "the slot failed: " + failure.errorType());
            }
            if (waiting != null || running != null) {
                throw new SlotException(SlotException.Reason.BUSY, "the slot is running another invocation");
            }
            waiting = new Pending(invocation, new CompletableFuture<>(), new CompletableFuture<>());
            if (phase == Phase.IDLE) {
                phase = Phase.BUSY;
            }
            changed.signalAll();
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fails the slot because {@code pending} ran out of time: the invocation gets {@code reply} and the runtime is to be
     * stopped. Does nothing if the invocation was answered meanwhile.
     */
    public void abandon(Pending pending, Reply reply) {
        lock.lock();
        try {
            if (pending.reply().isDone()) {
                return;
            }
            failLocked(reply);
        } finally {
            lock.unlock();
        }
    }

    // ---- the runtime's side (the Runtime API) ----

    /**
     * The runtime asks for work: the first call ends init. Blocks until an invocation comes, then returns it with its
     * deadline set. Fails with {@link SlotException} if the slot failed (the runtime should exit).
     */
    public Invocation next() throws InterruptedException {
        lock.lock();
        try {
            if (phase == Phase.INITIALIZING) {
                init.complete(Duration.ofNanos(System.nanoTime() - startNanos));
                phase = waiting != null ? Phase.BUSY : Phase.IDLE;
            }
            if (running != null) {
                // asking again without answering: the handler's result is lost; Lambda reports it as a runtime error
                Pending lost = running;
                running = null;
                lost.reply().complete(Reply.error("Runtime.NoResponse", "the runtime asked for the next invocation"
                        + " without answering request " + lost.invocation().requestId()));
                phase = waiting != null ? Phase.BUSY : Phase.IDLE;
            }
            while (waiting == null && phase != Phase.FAILED) {
                changed.await();
            }
            if (phase == Phase.FAILED) {
                throw new SlotException(SlotException.Reason.FAILED, "the slot failed: " + failure.errorType());
            }
            Instant now = clock.instant();
            running = waiting;
            waiting = null;
            phase = Phase.BUSY;
            running.pickedUp().complete(now);
            return running.invocation().withDeadline(now.plus(timeout));
        } finally {
            lock.unlock();
        }
    }

    /** The runtime answers an invocation with its result. */
    public void respond(String requestId, byte[] body) {
        answer(requestId, Reply.ok(body));
    }

    /** The runtime reports that the handler failed: its error document and error type. */
    public void error(String requestId, String errorType, byte[] body) {
        answer(requestId, Reply.functionError(errorType, body));
    }

    /** The runtime reports that it could not initialize (a missing handler, an import that failed). */
    public void initError(String errorType, byte[] body) {
        lock.lock();
        try {
            if (phase == Phase.FAILED) {
                return;
            }
            failLocked(Reply.functionError(errorType, body));
        } finally {
            lock.unlock();
        }
    }

    /** The runtime's process ended: what is waiting or running fails with {@code Runtime.ExitError}. */
    public void runtimeExited(String how) {
        lock.lock();
        try {
            if (phase == Phase.FAILED) {
                return;
            }
            failLocked(Reply.error("Runtime.ExitError", "Runtime exited " + how));
        } finally {
            lock.unlock();
        }
    }

    private void answer(String requestId, Reply reply) {
        lock.lock();
        try {
            if (running == null || !running.invocation().requestId().equals(requestId)) {
                throw new SlotException(SlotException.Reason.UNKNOWN_REQUEST, "no invocation " + requestId
                        + " is running in this slot");
            }
            Pending done = running;
            running = null;
            phase = Phase.IDLE;
            done.reply().complete(reply);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void failLocked(Reply reply) {
        phase = Phase.FAILED;
        failure = reply;
        init.completeExceptionally(new SlotException(SlotException.Reason.FAILED, reply.errorType()));
        for (Pending p : new Pending[] {waiting, running}) {
            if (p != null) {
                p.reply().complete(reply);
                p.pickedUp().completeExceptionally(new SlotException(SlotException.Reason.FAILED, reply.errorType()));
            }
        }
        waiting = null;
        running = null;
        changed.signalAll();
    }

    /** Waits at most {@code limit} for the slot to leave INITIALIZING; true if it did. For tests and the owner. */
    public boolean awaitInit(Duration limit) throws InterruptedException {
        try {
            init.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }
}
