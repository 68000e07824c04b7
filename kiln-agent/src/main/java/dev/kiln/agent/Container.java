package dev.kiln.agent;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One container's observed state, owned by {@link RuncContainerRuntime}; every field is guarded by the object's
 * monitor. {@link #info()} is the immutable view the API returns.
 */
final class Container {
    final String id;
    final ContainerSpec spec;
    final String imageDigest;
    final Path bundle;
    final Path rootfs;
    final String cgroupPath;
    final Users users;
    final Instant createdAt;
    /** Completes when the container will produce no more output (terminal state or removed). */
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    private ContainerState state = ContainerState.CREATED;
    private Optional<Integer> exitCode = Optional.empty();
    private boolean oomKilled;
    private Optional<String> error = Optional.empty();
    private Optional<Instant> startedAt = Optional.empty();
    private Optional<Instant> finishedAt = Optional.empty();
    private int restarts;
    private Optional<Long> pid = Optional.empty();
    private boolean stopRequested;
    private boolean removed;
    /** The process whose end is the end of the run: runc's wrapper we launched, or an adopted container's init. */
    private Optional<ProcessHandle> process = Optional.empty();
    private CompletableFuture<Void> runEnded = CompletableFuture.completedFuture(null);
    private Optional<ScheduledFuture<?>> pendingRestart = Optional.empty();
    private Optional<Cgroups.Usage> lastUsage = Optional.empty();

    Container(String id, ContainerSpec spec, String imageDigest, Path bundle, Path rootfs, String cgroupPath,
              Users users, Instant createdAt) {
        this.id = id;
        this.spec = spec;
        this.imageDigest = imageDigest;
        this.bundle = bundle;
        this.rootfs = rootfs;
        this.cgroupPath = cgroupPath;
        this.users = users;
        this.createdAt = createdAt;
    }

    /** A container read back from its record after an agent restart ({@link ContainerRecords}). */
    static Container restore(ContainerRecord r, Path bundle, Users users) {
        ContainerInfo i = r.info();
        Container c = new Container(i.id(), r.spec(), i.imageDigest(), bundle, Path.of(r.rootfs()), r.cgroupPath(),
                users, i.createdAt());
        synchronized (c) {
            c.state = i.state();
            c.exitCode = i.exitCode();
            c.oomKilled = i.oomKilled();
            c.error = i.error();
            c.startedAt = i.startedAt();
            c.finishedAt = i.finishedAt();
            c.restarts = i.restarts();
            c.pid = i.pid();
            c.stopRequested = r.stopRequested();
            if (c.state == ContainerState.EXITED || c.state == ContainerState.FAILED) {
                c.ended.complete(null);
            }
        }
        return c;
    }

    /** What is persisted, so that a restarted agent can take the container over. */
    synchronized ContainerRecord record() {
        return new ContainerRecord(info(), spec, rootfs.toString(), cgroupPath, stopRequested);
    }

    synchronized ContainerInfo info() {
        return new ContainerInfo(id, spec.name(), spec.image(), imageDigest, state, exitCode, oomKilled, error,
                createdAt, startedAt, finishedAt, restarts, pid);
    }

    synchronized ContainerState state() {
        return state;
    }

    /** A new run of runc has been launched. */
    synchronized CompletableFuture<Void> launched(Process p) {
        process = Optional.of(p.toHandle());
        runEnded = new CompletableFuture<>();
        pendingRestart = Optional.empty();
        return runEnded;
    }

    synchronized void running(long newPid, Instant at) {
        state = ContainerState.RUNNING;
        pid = Optional.of(newPid);
        startedAt = Optional.of(at);
        finishedAt = Optional.empty();
        exitCode = Optional.empty();
        oomKilled = false;
        error = Optional.empty();
    }

    /** Takes over a run that a previous agent launched: its init {@code handle} is still alive. */
    synchronized CompletableFuture<Void> adopted(ProcessHandle handle) {
        state = ContainerState.RUNNING;
        pid = Optional.of(handle.pid());
        process = Optional.of(handle);
        runEnded = new CompletableFuture<>();
        return runEnded;
    }

    synchronized boolean isRunning() {
        return state == ContainerState.RUNNING && process.map(ProcessHandle::isAlive).orElse(false);
    }

    synchronized CompletableFuture<Void> runEnded() {
        return runEnded;
    }

    /** Records the end of a run; {@code next} is EXITED, FAILED or RESTARTING. */
    synchronized void ended(ContainerState next, Optional<Integer> code, boolean oom, Optional<String> why,
                            Instant at, Cgroups.Usage usage) {
        state = next;
        exitCode = code;
        oomKilled = oom;
        error = why;
        finishedAt = Optional.of(at);
        pid = Optional.empty();
        process = Optional.empty();
        lastUsage = Optional.of(usage);
        runEnded.complete(null);
        if (next != ContainerState.RESTARTING) {
            ended.complete(null);
        }
    }

    /** Marks a launch that failed before runc ran. */
    synchronized void failed(String why, Instant at) {
        state = ContainerState.FAILED;
        error = Optional.of(why);
        finishedAt = Optional.of(at);
        process = Optional.empty();
        runEnded.complete(null);
        ended.complete(null);
    }

    synchronized void restartScheduled(ScheduledFuture<?> future) {
        pendingRestart = Optional.of(future);
    }

    /** How late the scheduled restart is (it should have begun that long ago), or empty when none is late. */
    synchronized Optional<Duration> restartLate() {
        if (state != ContainerState.RESTARTING) {
            return Optional.empty();
        }
        return pendingRestart.filter(f -> !f.isDone()).map(f -> Duration.ofMillis(-f.getDelay(TimeUnit.MILLISECONDS)))
                .filter(late -> late.isPositive());
    }

    /** Counts a restart unless a stop or remove came first; false means: do not relaunch. */
    synchronized boolean beginRestart() {
        if (stopRequested || removed) {
            return false;
        }
        restarts++;
        return true;
    }

    synchronized int restarts() {
        return restarts;
    }

    /** Asks for a stop: no more restarts; a pending restart is cancelled and the container counts as exited. */
    synchronized void requestStop() {
        stopRequested = true;
        pendingRestart.ifPresent(f -> f.cancel(false));
        pendingRestart = Optional.empty();
        if (state == ContainerState.RESTARTING) {
            state = ContainerState.EXITED;
            ended.complete(null);
        }
    }

    synchronized boolean stopRequested() {
        return stopRequested;
    }

    synchronized void markRemoved() {
        removed = true;
        stopRequested = true;
        pendingRestart.ifPresent(f -> f.cancel(false));
        ended.complete(null);
    }

    synchronized boolean removed() {
        return removed;
    }

    synchronized Optional<Cgroups.Usage> lastUsage() {
        return lastUsage;
    }

    synchronized Optional<Long> pid() {
        return pid;
    }
}
