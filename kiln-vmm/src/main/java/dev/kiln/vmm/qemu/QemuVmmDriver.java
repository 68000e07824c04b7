package dev.kiln.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.RateLimiter;
import dev.kiln.vmm.DriverCapabilities;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.VmCgroups;
import dev.kiln.vmm.Lifecycle;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmCommand;
import dev.kiln.vmm.VmExit;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.SpecFiles;
import dev.kiln.vmm.Snapshots;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmStatus;
import dev.kiln.vmm.VmUpdate;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** QEMU {@code microvm} driven over QMP on a Unix socket; the serial console goes to a per-VM file. */
final class QemuVmmDriver implements VmmDriver {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVmmDriver.class);
    private static final DriverCapabilities CAPABILITIES =
            new DriverCapabilities(true, true, true, true, false, true, false);
    /** How long writing or loading a snapshot's memory may take (a few hundred MB through a pipe). */
    private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(3);

    private final QemuConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock = Clock.systemUTC();
    private final Map<VmId, QemuVm> vms = new ConcurrentHashMap<>();
    private final QemuJail jail;
    private volatile boolean closed;

    QemuVmmDriver(QemuConfig config) {
        this.config = config;
        this.jail = new QemuJail(config.jail(), config.jail().enabled() ? VmCgroups.detect() : Optional.empty());
        if (!config.jail().enabled()) {
            LOG.warn(JailPolicy.offWarning());
        }
    }

    @Override
    public String name() {
        return QemuDriver.NAME;
    }

    @Override
    public DriverCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public VmHandle start(VmSpec spec, Path runDir) {
        return launch(spec, runDir, List.of());
    }

    /**
     * Snapshots through QEMU's migration: the VM's device state and memory are streamed through a Unix socket
     * ({@code migrate "unix:SOCKET"}) that the driver listens on and copies to a file while the VM is paused, and a
     * new QEMU with the same machine and devices listens ({@code -incoming "unix:SOCKET"}) while the driver streams
     * the file back, then runs on. QEMU 7.2 has no {@code file:} migration URI, and a pipe to {@code cat} would need
     * QEMU to spawn a process, which its jail forbids; a jailed QEMU reaches the socket inside its chroot. The state
     * file records what the memory file holds.
     */
    @Override
    public Optional<Snapshots> snapshots() {
        return Optional.of(new Snapshots() {
            @Override
            public SnapshotFiles createSnapshot(VmId id, SnapshotFiles files) {
                return snapshot(id, files, false);
            }

            @Override
            public SnapshotFiles createSnapshotAndPause(VmId id, SnapshotFiles files) {
                return snapshot(id, files, true);
            }

            @Override
            public VmHandle loadSnapshot(VmSpec spec, Path runDir, SnapshotFiles files) {
                return restore(spec, runDir, files);
            }
        });
    }

    private Snapshots.SnapshotFiles snapshot(VmId id, Snapshots.SnapshotFiles files, boolean leavePaused) {
        QemuVm vm = vm(id);
        if (!(vm.phase() instanceof VmPhase.Running) && !(vm.phase() instanceof VmPhase.Paused)) {
            throw new VmmException(VmmError.INVALID_PHASE, "VM " + id + " is " + vm.phase().label()
                    + "; only a running or paused VM can be snapshotted", "start it first");
        }
        boolean wasRunning = "running".equals(vm.qmp.execute("query-status", Map.of(), config.qmpTimeout())
                .path("status").asText());
        try {
            Files.createDirectories(files.memory().getParent());
            Files.deleteIfExists(files.memory());
        } catch (IOException e) {
            throw new VmmException(VmmError.INVALID_SPEC, "cannot write the snapshot to " + files.memory() + ": "
                    + e.getMessage(), "check the directory and free space", e);
        }
        if (wasRunning && !leavePaused) {
            vm.qmp.execute("stop", Map.of(), config.qmpTimeout());
        }
        // leavePaused: a live migration, which stops the guest itself at its end; the snapshot then records a
        // running guest, so that a VM loaded from it runs (and announces its NIC) without a 'cont'
        try (MigrationSink sink = MigrationSink.open(vm, files.memory())) {
            vm.qmp.execute("migrate", Map.of("uri", "unix:" + sink.uriPath()), config.qmpTimeout());
            awaitMigration(vm, "writing the snapshot of " + id);
            sink.awaitCopied(MIGRATION_TIMEOUT);
            Files.writeString(files.state(), json.createObjectNode().put("driver", QemuDriver.NAME)
                    .put("memoryFile", files.memory().toString()).put("createdAt", clock.instant().toString())
                    .toString());
        } catch (IOException e) {
            throw new VmmException(VmmError.INVALID_SPEC, "cannot write " + files.state() + ": " + e.getMessage(),
                    "check the directory and free space", e);
        } finally {
            if (wasRunning && !leavePaused) {
                vm.qmp.execute("cont", Map.of(), config.qmpTimeout());
            }
        }
        return files;
    }

    private VmHandle restore(VmSpec spec, Path runDir, Snapshots.SnapshotFiles files) {
        if (!Files.isRegularFile(files.memory()) || !Files.isRegularFile(files.state())) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, "no snapshot at " + files.memory(),
                    "take one with createSnapshot first");
        }
        Path incoming = runDir.resolve("incoming.sock");
        try {
            Files.createDirectories(runDir);
            Files.deleteIfExists(incoming);
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot prepare " + runDir + ": " + e.getMessage(),
                    "check that the state directory is writable and the disk is not full", e);
        }
        // QEMU listens on the socket before it drops its privileges, so it may live outside the jail
        VmHandle handle = launch(spec, runDir, List.of("-incoming", "unix:" + QemuCommandLine.escape(incoming.toString())));
        QemuVm vm = vm(spec.id());
        CompletableFuture<Void> feeding = CompletableFuture.runAsync(() -> feed(files.memory(), incoming),
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
        while (true) {
            String status = vm.qmp.execute("query-status", Map.of(), config.qmpTimeout()).path("status").asText();
            if (status.equals("running")) {
                feeding.join();
                deleteQuietly(incoming);
                return handle;
            }
            if (feeding.isCompletedExceptionally()) {
                kill(spec.id());
                deleteQuietly(incoming);
                Throwable cause = feeding.handle((v, t) -> t).join();
                throw new VmmException(VmmError.VMM_START_FAILED, "cannot stream the snapshot " + files.memory()
                        + " into QEMU: " + (cause.getCause() != null ? cause.getCause() : cause).getMessage(),
                        "see the VMM log", cause);
            }
            if (status.equals("paused") || status.equals("postmigrate") || status.equals("prelaunch")) {
                JsonNode m = vm.qmp.execute("query-migrate", Map.of(), config.qmpTimeout());
                if (!m.path("status").asText().equals("active")) {
                    vm.qmp.execute("cont", Map.of(), config.qmpTimeout());
                }
            }
            if (System.nanoTime() > deadline) {
                kill(spec.id());
                deleteQuietly(incoming);
                throw new VmmException(VmmError.TIMEOUT, "the snapshot did not load within "
                        + MIGRATION_TIMEOUT.toSeconds() + " s (QEMU status " + status + ")", "see the VMM log");
            }
            sleep(Duration.ofMillis(20));
        }
    }

    private void awaitMigration(QemuVm vm, String what) {
        long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
        while (true) {
            JsonNode m = vm.qmp.execute("query-migrate", Map.of(), config.qmpTimeout());
            switch (m.path("status").asText()) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new VmmException(VmmError.QMP_ERROR, what + " failed: "
                        + m.path("error-desc").asText("QEMU gave no reason"), "see the VMM log");
                default -> {
                    if (System.nanoTime() > deadline) {
                        vm.qmp.execute("migrate_cancel", Map.of(), config.qmpTimeout());
                        throw new VmmException(VmmError.TIMEOUT, what + " took longer than "
                                + MIGRATION_TIMEOUT.toSeconds() + " s", "check free space and the VMM log");
                    }
                    sleep(Duration.ofMillis(20));
                }
            }
        }
    }

    /** Streams a snapshot's memory file into the socket a QEMU started with {@code -incoming unix:} listens on. */
    private void feed(Path memory, Path socket) {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        while (!Files.exists(socket)) {
            if (System.nanoTime() > deadline) {
                throw new VmmException(VmmError.TIMEOUT, "QEMU did not listen on " + socket, "see the VMM log");
            }
            sleep(Duration.ofMillis(5));
        }
        try (var channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket));
             var file = java.nio.channels.FileChannel.open(memory)) {
            long size = file.size();
            for (long at = 0; at < size; ) {
                at += file.transferTo(at, size - at, channel);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The socket a migration is written to: the driver listens (inside the VM's jail when it has one, owned by the
     * jail's user so QEMU may connect), accepts QEMU's connection and copies the stream to the memory file.
     */
    private static final class MigrationSink implements AutoCloseable {
        private final java.nio.channels.ServerSocketChannel server;
        private final Path socket;
        private final String uriPath;
        private final CompletableFuture<Long> copied;

        private MigrationSink(java.nio.channels.ServerSocketChannel server, Path socket, String uriPath, Path target) {
            this.server = server;
            this.socket = socket;
            this.uriPath = uriPath;
            this.copied = CompletableFuture.supplyAsync(() -> copy(target),
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        }

        static MigrationSink open(QemuVm vm, Path target) throws IOException {
            Optional<QemuJail.Jail> jail = vm.jail;
            Path socket = jail.map(j -> j.root().resolve("migrate.sock"))
                    .orElse(vm.handle.runDir().resolve("migrate.sock"));
            Files.deleteIfExists(socket);
            var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            try {
                server.bind(java.net.UnixDomainSocketAddress.of(socket));
                if (jail.isPresent()) {
                    Files.setAttribute(socket, "unix:uid", (int) jail.get().uid());
                    Files.setAttribute(socket, "unix:gid", (int) jail.get().uid());
                }
            } catch (IOException e) {
                server.close();
                Files.deleteIfExists(socket);
                throw e;
            }
            return new MigrationSink(server, socket, jail.map(j -> j.inside(socket)).orElse(socket.toString()), target);
        }

        String uriPath() {
            return QemuCommandLine.escape(uriPath);
        }

        private long copy(Path target) {
            try (var in = server.accept();
                 var out = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.CREATE,
                         java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                long total = 0;
                while (true) {
                    long n = out.transferFrom(in, total, 1L << 24);
                    if (n <= 0) {
                        // transferFrom returns 0 both at the end of the stream and when nothing was ready: a read
                        // tells them apart
                        var probe = java.nio.ByteBuffer.allocate(1 << 16);
                        int r = in.read(probe);
                        if (r < 0) return total;
                        probe.flip();
                        total += out.write(probe, total);
                    } else {
                        total += n;
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void awaitCopied(Duration timeout) {
            try {
                copied.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw new VmmException(VmmError.QMP_ERROR, "the snapshot stream was not written: " + cause.getMessage(),
                        "check free space and the VMM log", cause);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            copied.cancel(true);
            Files.deleteIfExists(socket);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", file, e.getMessage());
        }
    }

    private VmHandle launch(VmSpec spec, Path runDir, List<String> extraArgs) {
        if (vms.containsKey(spec.id())) {
            throw new VmmException(VmmError.INVALID_SPEC, "VM " + spec.id() + " is already known to the driver", "use a new id");
        }
        if (spec.channel() == GuestChannel.VSOCK) {
            throw new VmmException(VmmError.UNSUPPORTED, "the QEMU driver offers no vsock (this host has no vhost-vsock)",
                    "reach the guest over its network (channel NETWORK) or use the Firecracker driver");
        }
        SpecFiles.check(spec);
        if (!Files.isExecutable(config.binary())) {
            throw new VmmException(VmmError.VMM_NOT_INSTALLED, "QEMU is not installed: " + config.binary() + " not found",
                    "install it with 'apt-get install qemu-system-x86' (or run './kiln doctor')");
        }
        Path qmpSocket = runDir.resolve("qmp.sock");
        try {
            Files.createDirectories(runDir);
            Files.deleteIfExists(qmpSocket);
            Files.deleteIfExists(runDir.resolve("console.log"));
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot prepare " + runDir + ": " + e.getMessage(),
                    "check that the state directory is writable and the disk is not full", e);
        }
        Optional<Path> hugeMount = spec.hugePages() ? Optional.of(mountHugePages(spec, runDir)) : Optional.empty();
        Optional<QemuJail.Jail> jailed;
        try {
            jailed = jail.enabled()
                    ? Optional.of(jail.prepare(spec, runDir, config.accelerator().accelerator())) : Optional.empty();
        } catch (VmmException e) {
            hugeMount.ifPresent(QemuVmmDriver::unmount);
            throw e;
        }
        if (jailed.isEmpty()) {
            LOG.warn("VM {}: {}", spec.id(), JailPolicy.offWarning());
        }
        List<String> command = new ArrayList<>();
        command.add("setsid"); // its own session: a signal to the agent's terminal never reaches the VMM
        jailed.ifPresent(j -> command.addAll(j.prefix(spec)));
        command.addAll(QemuCommandLine.build(config.binary(), config.accelerator().accelerator(), config.tscKhz(), spec,
                runDir, jailed.isPresent() ? QemuJail.Jail.driveFds(spec) : Map.of()));
        jailed.ifPresent(j -> command.addAll(j.qemuArgs()));
        command.addAll(extraArgs);
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("vmm.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            jailed.ifPresent(jail::release);
            hugeMount.ifPresent(QemuVmmDriver::unmount);
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot run " + config.binary() + ": " + e.getMessage(),
                    "check the QEMU installation with './kiln doctor'", e);
        }
        long pid = process.pid();
        long ticks = ProcStat.startTicks(pid).orElse(0L);
        Map<String, String> attributes = new HashMap<>();
        jailed.ifPresent(j -> attributes.put("jail.uid", Long.toString(j.uid())));
        hugeMount.ifPresent(dir -> attributes.put("hugepages", dir.toString()));
        VmHandle handle = new VmHandle(spec.id(), name(), pid, ticks, runDir,
                config.accelerator().accelerator().qemuName(), clock.instant(), attributes);
        QemuVm vm = new QemuVm(handle, Optional.of(process), new VmPhase.Starting(clock.instant()));
        vm.jail = jailed;
        vm.hugeMount = hugeMount;
        try {
            vm.qmp = connectWhileAlive(vm, qmpSocket);
        } catch (VmmException e) {
            process.destroyForcibly();
            waitQuietly(process);
            jailed.ifPresent(jail::release);
            hugeMount.ifPresent(QemuVmmDriver::unmount);
            throw new VmmException(VmmError.VMM_START_FAILED,
                    "QEMU did not start: " + e.getMessage() + describeExit(process) + "\n--- vmm.log ---\n"
                            + ProcStat.tail(handle.vmmLog(), 20),
                    "fix the cause shown in the VMM log, then retry");
        }
        vm.transition(new VmPhase.Running(clock.instant()));
        vms.put(spec.id(), vm);
        watch(vm);
        LOG.debug("started VM {} as pid {}", spec.id(), pid);
        return handle;
    }

    private static String describeExit(Process p) {
        return p.isAlive() ? "" : " (QEMU " + VmExit.describeStatus(p.exitValue()) + ")";
    }

    private QmpClient connectWhileAlive(QemuVm vm, Path socket) {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        VmmException last = null;
        while (System.nanoTime() < deadline) {
            if (!isAlive(vm)) {
                throw new VmmException(VmmError.VMM_START_FAILED, "QEMU exited during start", "see the VMM log");
            }
            if (Files.exists(socket)) {
                try {
                    return QmpClient.connect(json, socket, event -> onEvent(vm, event), config.qmpTimeout());
                } catch (VmmException e) {
                    last = e;
                }
            }
            sleep(Duration.ofMillis(5));
        }
        throw last != null ? last
                : new VmmException(VmmError.TIMEOUT, "QMP socket did not appear within " + config.startTimeout(), "see the VMM log");
    }

    private static boolean isAlive(QemuVm vm) {
        return vm.process.map(Process::isAlive).orElseGet(() -> ProcStat.isAlive(vm.handle.pid()));
    }

    private void onEvent(QemuVm vm, JsonNode event) {
        switch (event.path("event").asText()) {
            case "SHUTDOWN" -> vm.shutdownReason = Optional.of(event.path("data").path("reason").asText("unknown"));
            case "STOP" -> {
                if (vm.phase() instanceof VmPhase.Running) vm.transition(new VmPhase.Paused(clock.instant()));
            }
            case "RESUME" -> {
                if (vm.phase() instanceof VmPhase.Paused) vm.transition(new VmPhase.Running(clock.instant()));
            }
            default -> { }
        }
    }

    /** When the QMP connection ends the process is gone (or going): settle the final phase once. */
    private void watch(QemuVm vm) {
        CompletableFuture<?> processGone = vm.process.<CompletableFuture<?>>map(Process::onExit)
                .orElseGet(() -> ProcessHandle.of(vm.handle.pid()).map(ProcessHandle::onExit)
                        .orElse(CompletableFuture.completedFuture(null)));
        CompletableFuture.anyOf(vm.qmp.closedFuture(), processGone).thenRun(() -> {
            if (closed) return;
            Thread.ofVirtual().start(() -> settle(vm));
        });
    }

    private void settle(QemuVm vm) {
        Optional<Integer> status = Optional.empty();
        if (vm.process.isPresent()) {
            Process p = vm.process.get();
            try {
                if (p.waitFor(2, TimeUnit.SECONDS)) status = Optional.of(p.exitValue());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            for (int i = 0; i < 200 && ProcStat.isAlive(vm.handle.pid()); i++) sleep(Duration.ofMillis(10));
        }
        if (vm.qmp != null) vm.qmp.close();
        releaseJail(vm);
        VmPhase end = finalPhase(vm, status);
        vm.end(end);
        vm.done.complete(end);
        LOG.debug("VM {} ended: {}", vm.handle.id(), end);
    }

    private VmPhase finalPhase(QemuVm vm, Optional<Integer> status) {
        String statusText = status.map(VmExit::describeStatus).orElse("ended");
        if (vm.killRequested) {
            return new VmPhase.Stopped(new VmExit(clock.instant(), status, "killed by kiln"));
        }
        Optional<String> reason = vm.shutdownReason;
        if (vm.stopRequested || reason.filter(r -> r.equals("guest-shutdown")).isPresent()) {
            String cause = vm.stopRequested ? "stopped by kiln (guest shut down)" : "guest powered off";
            return new VmPhase.Stopped(new VmExit(clock.instant(), status, cause));
        }
        String cause = reason.map(r -> switch (r) {
                    case "guest-reset" -> "guest rebooted or its kernel panicked (see the console log); QEMU " + statusText;
                    case "guest-panic" -> "guest kernel panicked (see the console log); QEMU " + statusText;
                    default -> "QEMU shut down (" + r + "); " + statusText;
                })
                .orElse("VMM process " + statusText + " unexpectedly");
        return new VmPhase.Failed(new VmExit(clock.instant(), status, cause));
    }

    @Override
    public VmStatus recover(VmHandle handle) {
        long pid = handle.pid();
        boolean same = ProcStat.isAlive(pid)
                && ProcStat.startTicks(pid).map(t -> t == handle.processStartTicks()).orElse(false)
                && ProcStat.cmdline(pid).map(c -> c.contains(QemuCommandLine.LABEL_PREFIX + handle.id().value())).orElse(false);
        QemuVm vm = new QemuVm(handle, Optional.empty(), new VmPhase.Starting(clock.instant()));
        if (!same) {
            VmPhase gone = new VmPhase.Failed(VmExit.unknownStatus(clock.instant(),
                    "VMM process " + pid + " was gone when the agent recovered it"));
            vm.end(gone);
            vm.done.complete(gone);
            vms.put(handle.id(), vm);
            return new VmStatus(handle, gone);
        }
        try {
            vm.qmp = QmpClient.connect(json, handle.runDir().resolve("qmp.sock"), event -> onEvent(vm, event), config.qmpTimeout());
            JsonNode st = vm.qmp.execute("query-status", Map.of(), config.qmpTimeout());
            vm.transition(st.path("running").asBoolean()
                    ? new VmPhase.Running(clock.instant()) : new VmPhase.Paused(clock.instant()));
        } catch (VmmException e) {
            throw new VmmException(VmmError.RECOVERY_FAILED, "cannot re-attach to VM " + handle.id() + ": " + e.getMessage(),
                    "kill it with 'kill " + pid + "' and remove it", e);
        }
        vms.put(handle.id(), vm);
        watch(vm);
        return new VmStatus(handle, vm.phase());
    }

    @Override
    public CompletableFuture<VmPhase> await(VmId id) {
        return vm(id).done;
    }

    @Override
    public VmPhase stop(VmId id, Duration timeout) {
        QemuVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.STOP);
        vm.stopRequested = true;
        try {
            if (vm.phase() instanceof VmPhase.Paused) {
                vm.qmp.execute("cont", Map.of(), config.qmpTimeout());
            }
            vm.transition(new VmPhase.Stopping(clock.instant()));
            vm.qmp.execute("system_powerdown", Map.of(), config.qmpTimeout());
        } catch (VmmException e) {
            LOG.debug("graceful stop of {} failed: {}", id, e.getMessage());
        }
        try {
            return vm.done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.info("VM {} did not shut down within {}; killing it", id, timeout);
            return kill(id);
        } catch (Exception e) {
            return kill(id);
        }
    }

    @Override
    public VmPhase kill(VmId id) {
        QemuVm vm = vm(id);
        if (vm.done.isDone()) return vm.done.join();
        vm.killRequested = true;
        vm.process.ifPresentOrElse(Process::destroyForcibly,
                () -> ProcessHandle.of(vm.handle.pid()).ifPresent(ProcessHandle::destroyForcibly));
        try {
            return vm.done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new VmmException(VmmError.TIMEOUT, "VM " + id + " (pid " + vm.handle.pid() + ") did not die after SIGKILL",
                    "check the process with 'ps -p " + vm.handle.pid() + "'", e);
        }
    }

    @Override
    public void pause(VmId id) {
        QemuVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.PAUSE);
        vm.qmp.execute("stop", Map.of(), config.qmpTimeout());
        vm.transition(new VmPhase.Paused(clock.instant()));
    }

    @Override
    public void resume(VmId id) {
        QemuVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.RESUME);
        vm.qmp.execute("cont", Map.of(), config.qmpTimeout());
        vm.transition(new VmPhase.Running(clock.instant()));
    }

    @Override
    public void update(VmId id, VmUpdate update) {
        QemuVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.UPDATE);
        if (!update.nicLimits().isEmpty()) {
            throw new VmmException(VmmError.UNSUPPORTED, "QEMU does not limit NICs itself",
                    "the host applies NIC limits on the tap device");
        }
        for (Map.Entry<String, RateLimiter> e : update.driveLimits().entrySet()) {
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("device", e.getKey());
            for (String k : List.of("bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr")) args.put(k, 0L);
            for (String t : QemuCommandLine.throttling(e.getValue())) {
                String[] kv = t.split("=");
                String key = kv[0].replace("bps-total", "bps").replace("iops-total", "iops").replace('-', '_');
                args.put(key, Long.parseLong(kv[1]));
            }
            vm.qmp.execute("block_set_io_throttle", args, config.qmpTimeout());
        }
    }

    @Override
    public VmStatus inspect(VmId id) {
        QemuVm vm = vm(id);
        return new VmStatus(vm.handle, vm.phase());
    }

    @Override
    public VmStats stats(VmId id) {
        QemuVm vm = vm(id);
        long pid = vm.handle.pid();
        Map<String, VmStats.DriveStats> drives = new HashMap<>();
        if (!vm.phase().isTerminal() && vm.qmp != null) {
            JsonNode blocks = vm.qmp.execute("query-blockstats", Map.of(), config.qmpTimeout());
            for (JsonNode b : blocks) {
                JsonNode s = b.path("stats");
                String dev = b.path("device").asText();
                if (dev.isEmpty()) continue;
                drives.put(dev, new VmStats.DriveStats(s.path("rd_bytes").asLong(), s.path("wr_bytes").asLong(),
                        s.path("rd_operations").asLong(), s.path("wr_operations").asLong()));
            }
        }
        return new VmStats(ProcStat.rssBytes(pid).orElse(0L), ProcStat.cpuTime(pid).orElse(Duration.ZERO), drives);
    }

    @Override
    public void destroy(VmId id) {
        QemuVm vm = vms.get(id);
        if (vm == null) return;
        if (!vm.done.isDone()) kill(id);
        vms.remove(id);
        releaseJail(vm);
        try {
            Files.deleteIfExists(vm.handle.runDir().resolve("qmp.sock"));
        } catch (IOException e) {
            LOG.warn("cannot remove QMP socket of {}: {}", id, e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        for (QemuVm vm : vms.values()) {
            if (vm.qmp != null) vm.qmp.close();
        }
        vms.clear();
    }

    /**
     * Removes the jail of an ended VMM: the one this driver made, or for a recovered VM the one an earlier driver
     * made (its cgroups are named by the VM id, its chroot is {@code jail/} in the run directory).
     */
    private synchronized void releaseJail(QemuVm vm) {
        if (vm.released) return;
        vm.released = true;
        vm.hugeMount.or(() -> Optional.ofNullable(vm.handle.attributes().get("hugepages")).map(Path::of))
                .ifPresent(QemuVmmDriver::unmount);
        QemuJail.Jail j = vm.jail.orElseGet(() -> new QemuJail.Jail(
                Long.parseLong(vm.handle.attributes().getOrDefault("jail.uid", "-1")),
                vm.handle.runDir().resolve("jail"), vm.handle.id().value(), List.of()));
        if (vm.jail.isPresent() || vm.handle.attributes().containsKey("jail.uid")) {
            jail.release(j);
        }
    }

    /**
     * Checks that the host has the huge pages a VM asks for and mounts a hugetlbfs for it in its run directory
     * (labelled {@code kiln-hugepages} in the mount table; unmounted when the VM ends).
     */
    private static Path mountHugePages(VmSpec spec, Path runDir) {
        dev.kiln.vmm.HugePages.read().check(spec.memory());
        Path dir = QemuCommandLine.hugePagesDir(runDir);
        try {
            Files.createDirectories(dir);
            Process mount = new ProcessBuilder("mount", "-t", "hugetlbfs", "-o", "mode=0700", "kiln-hugepages",
                    dir.toString()).redirectErrorStream(true).start();
            String out = new String(mount.getInputStream().readAllBytes()).trim();
            if (mount.waitFor() != 0) {
                throw new VmmException(VmmError.VMM_START_FAILED, "cannot mount a hugetlbfs at " + dir + ": " + out,
                        "check that the kernel has hugetlbfs and kiln runs as root");
            }
            return dir;
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot mount a hugetlbfs at " + dir + ": "
                    + e.getMessage(), "check that the kernel has hugetlbfs and kiln runs as root", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmError.VMM_START_FAILED, "interrupted while mounting " + dir, "retry", e);
        }
    }

    private static void unmount(Path dir) {
        try {
            Process umount = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
            String out = new String(umount.getInputStream().readAllBytes()).trim();
            if (umount.waitFor() != 0) {
                LOG.warn("cannot unmount the hugetlbfs {}: {}", dir, out);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("cannot unmount the hugetlbfs {}: {}", dir, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A QMP command on a live VM (tests probe what a jailed QEMU may reach). */
    JsonNode qmp(VmId id, String command, Map<String, Object> arguments) {
        return vm(id).qmp.execute(command, arguments, config.qmpTimeout());
    }

    private QemuVm vm(VmId id) {
        QemuVm vm = vms.get(id);
        if (vm == null) {
            throw new VmmException(VmmError.UNKNOWN_VM, "no VM " + id + " in the QEMU driver", "list VMs with 'kiln vm ls'");
        }
        return vm;
    }

    private static void waitQuietly(Process p) {
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
