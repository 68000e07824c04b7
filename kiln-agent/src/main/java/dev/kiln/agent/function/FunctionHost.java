package dev.kiln.agent.function;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A slot's function: its runtime (started by a {@link RuntimeLauncher}), the Runtime API it polls, and the current
 * {@link Slot}. {@link #invoke} runs one invocation and returns what Lambda would: the result, or an error document
 * with the error's type. A slot that failed (init error, runtime exit, timeout) is replaced on the next invocation
 * by a fresh runtime, which initializes again, as Lambda re-initializes an execution environment.
 */
public final class FunctionHost implements AutoCloseable {
    /** How an invocation went: the reply, init time if this one had to wait for init, and the handler's time. */
    public record Outcome(String requestId, Reply reply, Optional<Duration> init, Duration duration) { }

    private final FunctionConfig config;
    private final RuntimeLauncher launcher;
    private final Clock clock;
    private final RuntimeApiServer api;
    private volatile Slot slot;
    private RuntimeLauncher.RuntimeProcess process;

    private FunctionHost(FunctionConfig config, RuntimeLauncher launcher, Clock clock, InetSocketAddress apiAddress) {
        this.config = config;
        this.launcher = launcher;
        this.clock = clock;
        this.api = RuntimeApiServer.start(apiAddress, () -> slot);
    }

    /** Serves the Runtime API on {@code apiAddress} and starts the runtime, which initializes in the background. */
    public static FunctionHost start(FunctionConfig config, RuntimeLauncher launcher, Clock clock,
                                     InetSocketAddress apiAddress) {
        FunctionHost host = new FunctionHost(config, launcher, clock, apiAddress);
        try {
            host.relaunch();
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
        return host;
    }

    public String runtimeApi() {
        return api.endpoint();
    }

    public Slot.Phase phase() {
        return slot.phase();
    }

    /** The runtime's last output (a few KB). */
    public synchronized String outputTail() {
        return process == null ? "" : process.outputTail();
    }

    /** Runs one invocation; {@link SlotException} (BUSY) if one is already running here. */
    public Outcome invoke(byte[] payload, Optional<String> clientContext) {
        Slot current;
        synchronized (this) {
            if (slot.phase() == Slot.Phase.FAILED) {
                relaunch();
            }
            current = slot;
        }
        String requestId = UUID.randomUUID().toString();
        Invocation inv = new Invocation(requestId, payload, config.arn(), traceId(), clientContext, Optional.empty());
        boolean cold = current.phase() == Slot.Phase.INITIALIZING;
        Slot.Pending pending;
        try {
            pending = current.submit(inv);
        } catch (SlotException e) {
            if (e.reason() != SlotException.Reason.FAILED || current.failure().isEmpty()) {
                throw e;
            }
            // the runtime died between the check above and now (e.g. at once, during its init): that is this
            // invocation's answer, as Lambda gives it; the next invocation starts a fresh runtime
            return new Outcome(requestId, current.failure().get(), Optional.empty(), Duration.ZERO);
        }
        Instant pickedUp;
        try {
            pickedUp = pending.pickedUp().get(config.initTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            current.abandon(pending, Reply.error("Runtime.InitTimeout", "RequestId: " + requestId
                    + " Error: the runtime did not initialize within " + seconds(config.initTimeout()) + " seconds"));
            stopRuntime();
            return outcome(requestId, pending, current, cold, Duration.ZERO);
        } catch (ExecutionException e) {
            return outcome(requestId, pending, current, cold, Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SlotException(SlotException.Reason.FAILED, "interrupted while waiting for the runtime");
        }
        long start = System.nanoTime();
        Instant deadline = pickedUp.plus(config.timeout());
        try {
            long waitNanos = Math.max(0, Duration.between(clock.instant(), deadline).toNanos());
            pending.reply().get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            current.abandon(pending, Reply.error("Sandbox.Timedout", "RequestId: " + requestId
                    + " Error: Task timed out after " + seconds(config.timeout()) + " seconds"));
            stopRuntime();
        } catch (ExecutionException e) {
            throw new IllegalStateException("a slot's reply never fails", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SlotException(SlotException.Reason.FAILED, "interrupted while waiting for the handler");
        }
        return outcome(requestId, pending, current, cold, Duration.ofNanos(System.nanoTime() - start));
    }

    private static Outcome outcome(String requestId, Slot.Pending pending, Slot slot, boolean cold, Duration duration) {
        Optional<Duration> init = cold && slot.initialized().isDone() && !slot.initialized().isCompletedExceptionally()
                ? Optional.of(slot.initialized().join()) : Optional.empty();
        return new Outcome(requestId, pending.reply().join(), init, duration);
    }

    /** Stops the runtime (if it runs) and starts a fresh one on a new slot. */
    private synchronized void relaunch() {
        stopRuntime();
        Slot fresh = new Slot(clock, config.timeout());
        slot = fresh;
        RuntimeLauncher.RuntimeProcess started = launcher.launch(config.runtimeEnvironment(api.endpoint()));
        process = started;
        started.onExit().thenAccept(code -> fresh.runtimeExited(
                (code == 0 ? "without an error" : "with error: exit status " + code) + lastLines(started)));
    }

    /** The runtime's last output lines (where Lambda would point to its logs), for an exit's error message. */
    private static String lastLines(RuntimeLauncher.RuntimeProcess process) {
        String tail = process.outputTail().strip();
        if (tail.isEmpty()) {
            return "";
        }
        return "; its last output: " + (tail.length() > 1024 ? "..." + tail.substring(tail.length() - 1024) : tail);
    }

    private synchronized void stopRuntime() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    @Override
    public void close() {
        stopRuntime();
        api.close();
    }

    private static String seconds(Duration d) {
        return String.format("%.2f", d.toMillis() / 1000.0);
    }

    private String traceId() {
        String hex = UUID.randomUUID().toString().replace("-", "");
        return "Root=1-" + Long.toHexString(clock.instant().getEpochSecond()) + "-" + hex.substring(0, 24)
                + ";Parent=" + hex.substring(8, 24) + ";Sampled=0";
    }
}
