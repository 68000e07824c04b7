package dev.kiln.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;
import dev.kiln.api.agent.ContainerStats;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link ContainerRuntime} over runc. Each run is a foreground {@code runc run --keep} child: a virtual thread
 * waits for it, reads the cgroup (OOM kills, last usage) before {@code runc delete}, and applies the restart
 * policy. Bundles live in {@code <state>/containers/<id>/}: config.json, rootfs (overlay mount or copy),
 * stdout.log, stderr.log, runc.log, pid.
 */
final class RuncContainerRuntime implements ContainerRuntime {
    private static final Duration RESTART_BACKOFF_MAX = Duration.ofSeconds(5);
    /** How long the restart scheduler may take to run an empty task before supervision counts as stuck. */
    static final Duration SCHEDULER_PROBE = Duration.ofSeconds(2);
    /** A restart this late (past its backoff) means supervision is stuck. */
    static final Duration RESTART_OVERDUE = Duration.ofSeconds(30);
    private static final List<String> VM_NETWORK_FILES = List.of("/etc/resolv.conf", "/etc/hosts");

    private final AgentConfig config;
    private final Runc runc;
    private final Cgroups cgroups;
    private final HostFacts facts;
    private final Clock clock;
    private final Path containersDir;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    private final Set<String> reservedNames = new HashSet<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService restarts;
    private final Duration restartOverdue;
    private volatile RootfsProvider rootfsProvider;
    private volatile String runtimeVersion;

    RuncContainerRuntime(AgentConfig config, Cgroups cgroups, HostFacts facts, Clock clock) {
        this(config, cgroups, facts, clock, Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("kiln-restart").factory()), RESTART_OVERDUE);
    }

    /** With the restart scheduler and the lateness that counts as stuck given (tests stall the scheduler). */
    RuncContainerRuntime(AgentConfig config, Cgroups cgroups, HostFacts facts, Clock clock,
                         ScheduledExecutorService restarts, Duration restartOverdue) {
        this.restarts = restarts;
        this.restartOverdue = restartOverdue;
        this.config = config;
        this.runc = new Runc(config.runc(), config.stateDir().resolve("runc"));
        this.cgroups = cgroups;
        this.facts = facts;
        this.clock = clock;
        this.containersDir = config.stateDir().resolve("containers");
        try {
            Files.createDirectories(containersDir);
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot create " + containersDir);
        }
    }

    /** The provider is chosen on first use: the overlay probe costs two mounts, not worth paying at start-up. */
    private RootfsProvider provider() {
        RootfsProvider p = rootfsProvider;
        if (p == null) {
            synchronized (this) {
                if (rootfsProvider == null) {
                    rootfsProvider = RootfsProvider.choose(config.rootfs(), config.stateDir());
                }
                p = rootfsProvider;
            }
        }
        return p;
    }

    @Override
    public String rootfsMode() {
        return provider().mode();
    }

    @Override
    public int cgroupVersion() {
        return cgroups.version();
    }

    @Override
    public String runtimeVersion() {
        if (runtimeVersion == null) {
            runtimeVersion = runc.version();
        }
        return runtimeVersion;
    }

    @Override
    public ContainerInfo start(ContainerSpec spec, ImagePuller.PulledImage image, Path imageRootfs) {
        RuntimeSpecs.validate(spec, facts.memTotalBytes());
        reserve(spec.name());
        String id = HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong())).substring(0, 12);
        Path bundle = containersDir.resolve(id);
        RootfsProvider provider = provider();
        Container c;
        try {
            Files.createDirectories(bundle);
            Path rootfs = provider.prepare(imageRootfs, bundle);
            Users users = Users.read(rootfs);
            String cgroupPath = config.cgroupParent() + "/" + id;
            List<String> networkFiles = VM_NETWORK_FILES.stream().filter(f -> Files.isRegularFile(Path.of(f))).toList();
            var ctx = new RuntimeSpecs.Context(id, rootfs, cgroupPath, facts.memTotalBytes(), users, networkFiles);
            OciRuntimeSpec oci = RuntimeSpecs.generate(spec, image.config(), ctx);
            Files.write(bundle.resolve("config.json"), Json.mapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(oci));
            Files.createFile(bundle.resolve("stdout.log"));
            Files.createFile(bundle.resolve("stderr.log"));
            c = new Container(id, spec, image.digest(), bundle, rootfs, cgroupPath, users, clock.instant());
        } catch (JsonProcessingException e) {
            rollback(provider, bundle, spec.name());
            throw new AgentException(AgentErrorCode.INTERNAL, "cannot write config.json: " + e.getMessage(), e);
        } catch (IOException e) {
            rollback(provider, bundle, spec.name());
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot create container " + spec.name());
        } catch (RuntimeException e) {
            rollback(provider, bundle, spec.name());
            throw e;
        }
        containers.put(id, c);
        ContainerRecords.save(c);
        synchronized (reservedNames) {
            reservedNames.remove(spec.name());
        }
        launch(c);
        return c.info();
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private void reserve(String name) {
        synchronized (reservedNames) {
            boolean taken = reservedNames.contains(name)
                    || containers.values().stream().anyMatch(c -> c.spec.name().equals(name));
            if (taken) {
                throw new AgentException(AgentErrorCode.CONFLICT, "a container named '" + name + "' exists",
                        "remove it first (DELETE /v1/containers/" + name + "?force=true) or use another name");
            }
            reservedNames.add(name);
        }
    }

    private void rollback(RootfsProvider provider, Path bundle, String name) {
        provider.release(bundle);
        Disk.deleteQuietly(bundle);
        synchronized (reservedNames) {
            reservedNames.remove(name);
        }
    }

    /** Starts one run and waits until it runs (pid file written) or has ended. */
    private void launch(Container c) {
        Path pidFile = c.bundle.resolve("pid");
        Path log = c.bundle.resolve("runc.log");
        Process p;
        try {
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(log);
            ContainerRecords.clearExitStatus(c.bundle);
            p = runc.run(c.id, c.bundle, pidFile, log, c.bundle.resolve("stdout.log"), c.bundle.resolve("stderr.log"),
                    c.bundle.resolve(ContainerRecords.EXIT));
        } catch (IOException | AgentException e) {
            c.failed("cannot launch runc: " + e.getMessage(), clock.instant());
            ContainerRecords.save(c);
            return;
        }
        c.launched(p);
        Instant deadline = clock.instant().plus(config.startTimeout());
        try {
            while (!p.waitFor(10, TimeUnit.MILLISECONDS)) {
                if (readPid(pidFile).isPresent() || clock.instant().isAfter(deadline)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        readPid(pidFile).ifPresent(pid -> c.running(pid, clock.instant()));
        ContainerRecords.save(c);
        if (!p.isAlive()) {
            finish(c, Optional.of(p.exitValue()));
        } else {
            p.onExit().thenRunAsync(() -> finish(c, Optional.of(p.exitValue())), threads);
            if (c.pid().isEmpty()) {
                runc.kill(c.id, "KILL"); // did not start within start-timeout
            }
        }
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            String text = Files.readString(pidFile).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The end of a run, with runc's exit status (empty: unknown, the run ended while no agent watched it). */
    private void finish(Container c, Optional<Integer> status) {
        int code = status.orElse(-1);
        boolean started = c.pid().isPresent() || readPid(c.bundle.resolve("pid")).isPresent();
        Cgroups.Usage usage = cgroups.read(c.cgroupPath);
        Optional<String> runcError = Runc.lastError(c.bundle.resolve("runc.log"));
        try {
            runc.delete(c.id, true);
        } catch (AgentException e) {
            System.err.println("kiln-agent: " + e.getMessage());
        }
        if (c.removed()) {
            return;
        }
        boolean oom = code == 137 && usage.oomKills() > 0;
        Instant now = clock.instant();
        if (!started && runcError.isPresent()) {
            c.ended(ContainerState.FAILED, status, false, runcError, now, usage);
            ContainerRecords.save(c);
            return;
        }
        Optional<String> why = oom
                ? Optional.of("killed by the OOM killer: the container exceeded its memory limit of "
                + c.spec.memoryLimitBytes().map(b -> b + " bytes").orElse("the VM's memory"))
                : status.isEmpty() ? Optional.of("exit code unknown: the container ended while the agent was down")
                : Optional.empty();
        if (!c.stopRequested() && c.spec.restart().restarts(code, c.restarts())) {
            c.ended(ContainerState.RESTARTING, status, oom, why, now, usage);
            ContainerRecords.save(c);
            long backoff = Math.min(RESTART_BACKOFF_MAX.toMillis(), 100L << Math.min(c.restarts(), 6));
            c.restartScheduled(restarts.schedule(() -> threads.execute(() -> {
                if (c.beginRestart()) {
                    launch(c);
                }
            }), backoff, TimeUnit.MILLISECONDS));
        } else {
            c.ended(ContainerState.EXITED, status, oom, why, now, usage);
            ContainerRecords.save(c);
        }
    }

    /**
     * Takes over the containers a previous agent left in the state directory (the agent restarted; the guest did
     * not). A run still going is adopted: watched until it ends, its exit status read from the file its wrapper
     * shell writes. A run that ended meanwhile is finished now (status, OOM, restart policy). A bundle without a
     * record (the agent died while creating it) is removed. Returns how many containers were taken over.
     */
    int recover() {
        List<Path> bundles;
        try (var dirs = Files.list(containersDir)) {
            bundles = dirs.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot list " + containersDir);
        }
        int taken = 0;
        for (Path bundle : bundles) {
            String id = bundle.getFileName().toString();
            Optional<ContainerRecord> record = ContainerRecords.load(bundle);
            if (containers.containsKey(id)) {
                continue;
            }
            if (record.isEmpty()) {
                discard(id, bundle);
                continue;
            }
            ContainerRecord r = record.get();
            Container c;
            try {
                c = Container.restore(r, bundle, Users.read(Path.of(r.rootfs())));
            } catch (RuntimeException e) {
                System.err.println("kiln-agent: cannot take over container " + id + ": " + e.getMessage());
                continue;
            }
            containers.put(id, c);
            taken++;
            switch (c.state()) {
                case EXITED, FAILED -> { }
                case RESTARTING -> threads.execute(() -> {
                    if (c.beginRestart()) {
                        launch(c);
                    }
                });
                case CREATED, RUNNING -> adopt(c);
            }
        }
        return taken;
    }

    private void adopt(Container c) {
        Optional<ProcessHandle> init = runc.runningPid(c.id).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
        if (init.isEmpty()) {
            threads.execute(() -> finish(c, boxed(ContainerRecords.exitStatus(c.bundle))));
            return;
        }
        c.adopted(init.get());
        ContainerRecords.save(c);
        // Not our child: the JDK polls for its end. The wrapper shell writes the status just after runc exits.
        Instant deadline = clock.instant().plusSeconds(5);
        init.get().onExit().thenRunAsync(() -> finishWhenStatusKnown(c, deadline), threads);
    }

    /** Finishes an adopted run once its wrapper shell has written the status, or without it at the deadline. */
    private void finishWhenStatusKnown(Container c, Instant deadline) {
        var status = ContainerRecords.exitStatus(c.bundle);
        if (status.isPresent() || clock.instant().isAfter(deadline)) {
            finish(c, boxed(status));
        } else {
            restarts.schedule(() -> threads.execute(() -> finishWhenStatusKnown(c, deadline)), 20,
                    TimeUnit.MILLISECONDS);
        }
    }

    private static Optional<Integer> boxed(java.util.OptionalInt v) {
        return v.isPresent() ? Optional.of(v.getAsInt()) : Optional.empty();
    }

    /** Removes a bundle nobody can take over: its runc state, its root (overlay), its files. */
    private void discard(String id, Path bundle) {
        try {
            runc.delete(id, true);
        } catch (AgentException e) {
            System.err.println("kiln-agent: " + e.getMessage());
        }
        provider().release(bundle);
        Disk.deleteQuietly(bundle);
    }

    private Container find(String idOrName) {
        Container c = containers.get(idOrName);
        if (c != null) {
            return c;
        }
        return containers.values().stream().filter(x -> x.spec.name().equals(idOrName)).findFirst()
                .orElseThrow(() -> new AgentException(AgentErrorCode.NOT_FOUND, "no container '" + idOrName + "'"));
    }

    @Override
    public List<ContainerInfo> list() {
        return containers.values().stream().map(Container::info)
                .sorted(Comparator.comparing(ContainerInfo::createdAt)).toList();
    }

    @Override
    public ContainerInfo inspect(String idOrName) {
        return find(idOrName).info();
    }

    @Override
    public ContainerInfo stop(String idOrName, Duration timeout) {
        Container c = find(idOrName);
        c.requestStop();
        ContainerRecords.save(c);
        if (!c.isRunning()) {
            awaitQuietly(c, Duration.ofSeconds(10));
            return c.info();
        }
        runc.kill(c.id, "TERM");
        if (!awaitQuietly(c, timeout)) {
            runc.kill(c.id, "KILL");
            if (!awaitQuietly(c, Duration.ofSeconds(10))) {
                throw new AgentException(AgentErrorCode.TIMEOUT, "container " + c.id + " did not end after SIGKILL");
            }
        }
        return c.info();
    }

    /** Waits for the current run to end; false at the timeout. */
    private static boolean awaitQuietly(Container c, Duration timeout) {
        try {
            c.runEnded().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public void remove(String idOrName, boolean force) {
        Container c = find(idOrName);
        if (c.isRunning()) {
            if (!force) {
                throw new AgentException(AgentErrorCode.CONFLICT, "container " + c.spec.name() + " is running",
                        "stop it first or remove it with force=true");
            }
            stop(c.id, Duration.ZERO);
        }
        c.markRemoved();
        try {
            runc.delete(c.id, true);
        } finally {
            provider().release(c.bundle);
            Disk.deleteQuietly(c.bundle);
            containers.remove(c.id);
        }
    }

    @Override
    public ExecResult exec(String idOrName, ExecRequest request) {
        Container c = find(idOrName);
        if (!c.isRunning()) {
            throw new AgentException(AgentErrorCode.CONFLICT, "container " + c.spec.name() + " is not running ("
                    + c.state().name().toLowerCase() + ")", "start a new container; exec needs a running one");
        }
        Duration timeout = request.timeout().orElse(config.execTimeout());
        return Exec.run(runc, c, request, timeout, config.maxExecOutputBytes(), threads, clock);
    }

    @Override
    public ContainerStats stats(String idOrName) {
        Container c = find(idOrName);
        boolean running = c.isRunning();
        Cgroups.Usage u = running ? cgroups.read(c.cgroupPath)
                : c.lastUsage().orElse(new Cgroups.Usage(0, Optional.empty(), Optional.empty(), 0, 0, 0));
        return new ContainerStats(c.id, clock.instant(), cgroups.version(), running, u.memoryCurrent(),
                u.memoryMax(), u.memoryPeak(), u.oomKills(), u.cpuUsageUsec(), u.pidsCurrent());
    }

    @Override
    public Logs logs(String idOrName) {
        Container c = find(idOrName);
        return new Logs(c.bundle.resolve("stdout.log"), c.bundle.resolve("stderr.log"), c.ended);
    }

    @Override
    public Path rootfs(String idOrName) {
        return find(idOrName).rootfs;
    }

    /**
     * Supervision is stuck when a container's restart is more than {@link #RESTART_OVERDUE} late, or when the
     * restart scheduler does not run an empty task within {@link #SCHEDULER_PROBE} (its one thread is blocked, or
     * it was shut down).
     */
    @Override
    public Optional<String> supervisionProblem() {
        for (Container c : containers.values()) {
            Optional<Duration> late = c.restartLate().filter(d -> d.compareTo(restartOverdue) > 0);
            if (late.isPresent()) {
                // no figure that changes from one check to the next: the cluster records each new reason once
                return Optional.of("the restart of container " + c.spec.name() + " is more than "
                        + (restartOverdue.toMillis() % 1000 == 0 ? restartOverdue.toSeconds() + " s"
                        : restartOverdue.toMillis() + " ms") + " overdue");
            }
        }
        ScheduledFuture<?> probe;
        try {
            probe = restarts.schedule(() -> { }, 0, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return Optional.of("the restart scheduler has stopped");
        }
        try {
            probe.get(SCHEDULER_PROBE.toMillis(), TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (TimeoutException e) {
            probe.cancel(false);
            return Optional.of("the restart scheduler did not run a task within " + SCHEDULER_PROBE.toSeconds()
                    + " s");
        } catch (ExecutionException e) {
            return Optional.of("the restart scheduler failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        restarts.shutdownNow();
        threads.shutdown();
    }
}
