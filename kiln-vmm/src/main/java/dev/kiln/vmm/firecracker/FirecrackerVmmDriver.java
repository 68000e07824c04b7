package dev.kiln.vmm.firecracker;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.DriverCapabilities;
import dev.kiln.vmm.Lifecycle;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.Snapshots;
import dev.kiln.vmm.VmCommand;
import dev.kiln.vmm.VmExit;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmStatus;
import dev.kiln.vmm.VmUpdate;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.CreateSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.FlushMetrics;
import dev.kiln.vmm.firecracker.FcRequest.PatchDrive;
import dev.kiln.vmm.firecracker.FcRequest.PatchNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PatchVm;
import dev.kiln.vmm.firecracker.FcRequest.SendCtrlAltDel;
import dev.kiln.vmm.firecracker.FcRequest.SnapshotType;
import dev.kiln.vmm.firecracker.FcRequest.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firecracker driven only through its REST API on its Unix socket, one process per VM, directly or jailed. Starting
 * is {@link FcStarter}'s; this class keeps the VMs and maps each SPI call to API requests: pause and resume are
 * {@code PATCH /vm}, a graceful stop is {@code SendCtrlAltDel} (the guest reboots and, with {@code reboot=k},
 * Firecracker exits), updates are {@code PATCH} of drive and NIC rate limiters. The process's end settles the final
 * phase. Snapshots are the optional {@link Snapshots} feature.
 */
final class FirecrackerVmmDriver implements VmmDriver, Snapshots {
    private static final Logger LOG = LoggerFactory.getLogger(FirecrackerVmmDriver.class);
    private static final DriverCapabilities CAPABILITIES =
            new DriverCapabilities(true, true, true, true, true, true, true);
    private static final TokenBucket NO_LIMIT = TokenBucket.of(0, Duration.ZERO);

    private final FirecrackerConfig config;
    private final FcLauncher launcher;
    private final FcStarter starter;
    private final Clock clock;
    private final Map<VmId, FcVm> vms = new ConcurrentHashMap<>();
    private volatile boolean closed;

    FirecrackerVmmDriver(FirecrackerConfig config, FcLauncher launcher, Clock clock) {
        this.config = config;
        this.launcher = launcher;
        this.clock = clock;
        this.starter = new FcStarter(config, launcher, clock);
    }

    @Override
    public String name() {
        return FirecrackerDriver.NAME;
    }

    @Override
    public DriverCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Optional<Snapshots> snapshots() {
        return Optional.of(this);
    }

    @Override
    public VmHandle start(VmSpec spec, Path runDir) {
        requireNew(spec.id());
        FcVm vm = starter.start(starter.plan(spec, runDir), name());
        vm.transition(new VmPhase.Running(clock.instant()));
        adopt(vm);
        return vm.handle;
    }

    @Override
    public VmHandle loadSnapshot(VmSpec spec, Path runDir, SnapshotFiles files) {
        requireNew(spec.id());
        FcVm vm = starter.start(starter.planRestore(spec, runDir, files.state(), files.memory()), name());
        try {
            vm.send(new PatchVm(VmState.RESUMED));
        } catch (VmmException e) {
            vm.process.kill();
            FcStarter.awaitExit(vm.process);
            vm.api.close();
            String said = FcLogs.tails(vm.facts.log(), vm.handle.vmmLog());
            cleanUp(vm);
            throw new VmmException(VmmError.VMM_START_FAILED, "VM " + spec.id() + " was restored but did not resume: "
                    + e.getMessage() + said, e.hint(), e);
        }
        vm.transition(new VmPhase.Running(clock.instant()));
        adopt(vm);
        return vm.handle;
    }

    private void requireNew(VmId id) {
        if (vms.containsKey(id)) {
            throw new VmmException(VmmError.INVALID_SPEC, "VM " + id + " is already known to the driver", "use a new id");
        }
    }

    private void adopt(FcVm vm) {
        vms.put(vm.handle.id(), vm);
        // settled on a thread of its own: closing the API client must not hold up the JDK's process reaper
        vm.process.exit().thenAcceptAsync(status -> {
            if (!closed) {
                settle(vm, status);
            }
        }, task -> Thread.ofVirtual().name("fc-settle-" + vm.handle.id()).start(task));
        LOG.debug("VM {} runs as pid {}", vm.handle.id(), vm.handle.pid());
    }

    private void settle(FcVm vm, Optional<Integer> status) {
        vm.api.close();
        VmPhase end = finalPhase(vm, status);
        vm.end(end);
        vm.done.complete(end);
        LOG.debug("VM {} ended: {}", vm.handle.id(), end);
    }

    private VmPhase finalPhase(FcVm vm, Optional<Integer> status) {
        if (vm.killRequested) {
            return new VmPhase.Stopped(new VmExit(clock.instant(), status, "killed by kiln"));
        }
        if (vm.stopRequested) {
            return new VmPhase.Stopped(new VmExit(clock.instant(), status, "stopped by kiln (guest shut down)"));
        }
        if (status.isPresent() && status.get() == 0) {
            return new VmPhase.Stopped(new VmExit(clock.instant(), status, "guest powered off or rebooted"));
        }
        String how = status.map(VmExit::describeStatus).orElse("ended");
        return new VmPhase.Failed(new VmExit(clock.instant(), status, "Firecracker " + how + " unexpectedly"
                + FcLogs.tails(vm.facts.log(), vm.handle.vmmLog())));
    }

    @Override
    public VmStatus recover(VmHandle handle) {
        FcVmFacts facts = FcVmFacts.fromAttributes(handle.attributes());
        Optional<FcProcess> process = launcher.attach(handle);
        if (process.isEmpty()) {
            return gone(handle, facts, "Firecracker (pid " + handle.pid() + ") was gone when the agent recovered it"
                    + FcLogs.tails(facts.log(), handle.vmmLog()));
        }
        FirecrackerApiClient api = FirecrackerApiClient.create(facts.apiSocket(), config.apiTimeout());
        FcState state;
        try {
            state = api.describeInstance().state();
        } catch (VmmException e) {
            api.close();
            process.get().release();
            throw new VmmException(VmmError.RECOVERY_FAILED, "cannot re-attach to VM " + handle.id() + ": "
                    + e.getMessage(), "kill it with 'kill " + handle.pid() + "' and remove it", e);
        }
        if (state == FcState.NOT_STARTED) {
            // the agent went away in the middle of the start: nobody will finish configuring it
            api.close();
            process.get().kill();
            FcStarter.awaitExit(process.get());
            return gone(handle, facts, "the agent restarted while VM " + handle.id() + " was starting; its"
                    + " unconfigured Firecracker was killed");
        }
        VmPhase phase = state == FcState.PAUSED ? new VmPhase.Paused(clock.instant())
                : new VmPhase.Running(clock.instant());
        FcVm vm = new FcVm(handle, facts, process.get(), api, phase, state);
        adopt(vm);
        return new VmStatus(handle, vm.phase());
    }

    private VmStatus gone(VmHandle handle, FcVmFacts facts, String cause) {
        VmPhase end = new VmPhase.Failed(VmExit.unknownStatus(clock.instant(), cause));
        FcVm vm = new FcVm(handle, facts, FcProcess.ended(handle.pid()), new EndedApiClient(facts.apiSocket()), end,
                FcState.NOT_STARTED);
        vm.end(end);
        vm.done.complete(end);
        vms.put(handle.id(), vm);
        return new VmStatus(handle, end);
    }

    @Override
    public CompletableFuture<VmPhase> await(VmId id) {
        return vm(id).done;
    }

    @Override
    public VmPhase stop(VmId id, Duration timeout) {
        FcVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.STOP);
        vm.stopRequested = true;
        try {
            if (vm.fcState() == FcState.PAUSED) {
                vm.send(new PatchVm(VmState.RESUMED)); // a paused guest cannot react to Ctrl+Alt+Del
            }
            vm.transition(new VmPhase.Stopping(clock.instant()));
            vm.send(new SendCtrlAltDel());
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
        FcVm vm = vm(id);
        if (vm.done.isDone()) {
            return vm.done.join();
        }
        vm.killRequested = true;
        vm.process.kill();
        try {
            return vm.done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new VmmException(VmmError.TIMEOUT, "VM " + id + " (pid " + vm.handle.pid() + ") did not end after"
                    + " SIGKILL", "check the process with 'ps -p " + vm.handle.pid() + "'", e);
        }
    }

    @Override
    public void pause(VmId id) {
        FcVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.PAUSE);
        vm.send(new PatchVm(VmState.PAUSED));
        vm.transition(new VmPhase.Paused(clock.instant()));
    }

    @Override
    public void resume(VmId id) {
        FcVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.RESUME);
        vm.send(new PatchVm(VmState.RESUMED));
        vm.transition(new VmPhase.Running(clock.instant()));
    }

    /**
     * Each named device gets exactly the given limits: a bucket the update leaves out is sent disabled, which
     * Firecracker takes as "no limit", so {@link RateLimiter#none()} lifts a device's limits.
     */
    @Override
    public void update(VmId id, VmUpdate update) {
        FcVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.UPDATE);
        requireKnown(update.driveLimits().keySet(), vm.facts.driveIds(), "drive", id);
        requireKnown(update.nicLimits().keySet(), vm.facts.nicIds(), "NIC", id);
        update.driveLimits().forEach((drive, limits) ->
                vm.send(new PatchDrive(drive, Optional.empty(), Optional.of(exactly(limits)))));
        update.nicLimits().forEach((nic, limits) -> vm.send(new PatchNetworkInterface(nic,
                Optional.of(exactly(limits.rx())), Optional.of(exactly(limits.tx())))));
    }

    private static void requireKnown(Set<String> asked, List<String> known, String what, VmId id) {
        for (String name : asked) {
            if (!known.contains(name)) {
                throw new VmmException(VmmError.INVALID_SPEC, "VM " + id + " has no " + what + " '" + name + "'",
                        "its " + what + "s are " + known);
            }
        }
    }

    static RateLimiter exactly(RateLimiter limits) {
        return new RateLimiter(Optional.of(limits.bandwidth().orElse(NO_LIMIT)),
                Optional.of(limits.ops().orElse(NO_LIMIT)));
    }

    @Override
    public VmStatus inspect(VmId id) {
        FcVm vm = vm(id);
        return new VmStatus(vm.handle, vm.phase());
    }

    /** RSS and CPU time from /proc; drive and NIC counters from Firecracker's metrics, flushed first. */
    @Override
    public VmStats stats(VmId id) {
        FcVm vm = vm(id);
        if (!vm.phase().isTerminal()) {
            try {
                vm.send(new FlushMetrics());
            } catch (VmmException e) {
                LOG.debug("cannot flush the metrics of {}: {}", id, e.getMessage());
            }
        }
        vm.metrics.readFrom(vm.facts.metrics());
        MetricsFeed.Totals totals = vm.metrics.totals();
        long pid = vm.handle.pid();
        boolean live = vm.process.isAlive();
        return new VmStats(live ? ProcStat.rssBytes(pid).orElse(0L) : 0L,
                live ? ProcStat.cpuTime(pid).orElse(Duration.ZERO) : Duration.ZERO, totals.drives(), totals.nics());
    }

    @Override
    public SnapshotFiles createSnapshot(VmId id, SnapshotFiles files) {
        FcVm vm = vm(id);
        VmPhase before = vm.phase();
        if (!(before instanceof VmPhase.Paused)) {
            Lifecycle.check(id, before, VmCommand.PAUSE);
        }
        Path stateForVmm = vm.facts.snapshotForVmm(files.state(), "snapshot.state");
        Path memForVmm = vm.facts.snapshotForVmm(files.memory(), "snapshot.mem");
        try {
            Files.createDirectories(files.state().getParent());
            Files.createDirectories(files.memory().getParent());
            if (before instanceof VmPhase.Running) {
                pause(id);
            }
            vm.send(new CreateSnapshot(stateForVmm, memForVmm, SnapshotType.FULL));
            if (vm.facts.jailRoot().isPresent()) {
                Files.move(vm.facts.onHost(stateForVmm), files.state(), StandardCopyOption.REPLACE_EXISTING);
                Files.move(vm.facts.onHost(memForVmm), files.memory(), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, "cannot write the snapshot of VM " + id + " to "
                    + files + ": " + e, "check that the snapshot directory is writable and has room", e);
        } finally {
            if (before instanceof VmPhase.Running && vm.phase() instanceof VmPhase.Paused) {
                resume(id);
            }
        }
        return files;
    }

    /** Forgets the VM and removes the driver's own files: sockets, Firecracker's log and metrics, the jail, cgroups. */
    @Override
    public void destroy(VmId id) {
        FcVm vm = vms.get(id);
        if (vm == null) {
            return;
        }
        if (!vm.done.isDone()) {
            kill(id);
        }
        vms.remove(id);
        vm.api.close();
        cleanUp(vm);
    }

    private static void cleanUp(FcVm vm) {
        List<Path> own = new ArrayList<>(List.of(vm.facts.apiSocket(), vm.facts.log(), vm.facts.metrics()));
        vm.facts.vsock().ifPresent(own::add);
        for (Path f : own) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot remove {} of VM {}: {}", f, vm.handle.id(), e.toString());
            }
        }
        vm.facts.jailDir().ifPresent(dir -> JailFiles.remove(dir, vm.facts.cgroupDirs()));
    }

    /** Stops watching: the VMs keep running and a new driver can recover them. */
    @Override
    public void close() {
        closed = true;
        vms.values().forEach(vm -> {
            vm.api.close();
            vm.process.release();
        });
        vms.clear();
    }

    private FcVm vm(VmId id) {
        FcVm vm = vms.get(id);
        if (vm == null) {
            throw new VmmException(VmmError.UNKNOWN_VM, "no VM " + id + " in the Firecracker driver",
                    "list VMs with 'kiln vm ls'");
        }
        return vm;
    }
}
