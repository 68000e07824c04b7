package dev.kiln.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.RateLimiter;
import dev.kiln.vmm.DriverCapabilities;
import dev.kiln.vmm.GuestChannel;
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
    private volatile boolean closed;

    QemuVmmDriver(QemuConfig config) {
        this.config = config;
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
     * Snapshots through QEMU's migration: the VM's device state and memory are streamed to a file
     * ({@code migrate "exec:cat > FILE"}) while it is paused, and a new QEMU with the same machine and devices loads
     * them ({@code -incoming "exec:cat FILE"}) and runs on. QEMU 7.2 has no {@code file:} migration URI; a pipe to
     * {@code cat} is the same stream. The state file records what the memory file holds.
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
        try {
            vm.qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(files.memory().toString())),
                    config.qmpTimeout());
            awaitMigration(vm, "writing the snapshot of " + id);
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
        VmHandle handle = launch(spec, runDir, List.of("-incoming", "exec:cat " + shellQuote(files.memory().toString())));
        QemuVm vm = vm(spec.id());
        long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
        while (true) {
            String status = vm.qmp.execute("query-status", Map.of(), config.qmpTimeout()).path("status").asText();
            if (status.equals("running")) {
                return handle;
            }
            if (status.equals("paused") || status.equals("postmigrate") || status.equals("prelaunch")) {
                JsonNode m = vm.qmp.execute("query-migrate", Map.of(), config.qmpTimeout());
                if (!m.path("status").asText().equals("active")) {
                    vm.qmp.execute("cont", Map.of(), config.qmpTimeout());
                }
            }
            if (System.nanoTime() > deadline) {
                kill(spec.id());
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

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
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
        List<String> command = new ArrayList<>();
        command.add("setsid"); // its own session: a signal to the agent's terminal never reaches the VMM
        command.addAll(QemuCommandLine.build(config.binary(), config.accelerator().accelerator(), config.tscKhz(), spec, runDir));
        command.addAll(extraArgs);
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("vmm.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot run " + config.binary() + ": " + e.getMessage(),
                    "check the QEMU installation with './kiln doctor'", e);
        }
        long pid = process.pid();
        long ticks = ProcStat.startTicks(pid).orElse(0L);
        VmHandle handle = new VmHandle(spec.id(), name(), pid, ticks, runDir,
                config.accelerator().accelerator().qemuName(), clock.instant(), Map.of());
        QemuVm vm = new QemuVm(handle, Optional.of(process), new VmPhase.Starting(clock.instant()));
        try {
            vm.qmp = connectWhileAlive(vm, qmpSocket);
        } catch (VmmException e) {
            process.destroyForcibly();
            waitQuietly(process);
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
