package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmExit;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.SpecFiles;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Takes a VM from spec to a configured Firecracker: checks everything that can be checked before anything starts
 * ({@link #plan}), then launches, waits for the API to answer, and sends the requests in order ({@link #start}). A
 * start that fails leaves no process and no jail behind, and its error carries the tails of Firecracker's log and
 * stderr.
 */
final class FcStarter {
    /** Everything a start needs, all checked. {@code extraFiles}: host file to the path Firecracker is told. */
    record Plan(VmSpec spec, FcLayout layout, List<FcRequest> requests, FcVmFacts facts, Map<Path, Path> extraFiles) {
        Plan {
            requests = List.copyOf(requests);
            extraFiles = Map.copyOf(extraFiles);
        }
    }

    private final FirecrackerConfig config;
    private final FcLauncher launcher;
    private final Clock clock;

    FcStarter(FirecrackerConfig config, FcLauncher launcher, Clock clock) {
        this.config = config;
        this.launcher = launcher;
        this.clock = clock;
    }

    /** A fresh boot of {@code spec}; throws (changing nothing) on any input Firecracker or the host would refuse. */
    Plan plan(VmSpec spec, Path runDir) {
        SpecFiles.check(spec);
        launcher.checkInstalled();
        KernelImageKind.requireVmlinux(spec.kernel());
        FcLayout layout = layout(spec, runDir);
        return new Plan(spec, layout, FcBootSequence.boot(spec, layout, config), facts(spec, layout), Map.of());
    }

    /** A restore of a snapshot into a new process for {@code spec} (its taps, vsock and identity). */
    Plan planRestore(VmSpec spec, Path runDir, Path state, Path memory) {
        SpecFiles.requireFile(state, "snapshot state");
        SpecFiles.requireFile(memory, "snapshot memory");
        launcher.checkInstalled();
        FcLayout layout = layout(spec, runDir);
        if (layout.jailRoot().isPresent()) {
            SpecFiles.check(spec); // linked into the new jail; run directly, Firecracker reopens the snapshot's own paths
        }
        Path stateForVmm = layout.jailRoot().isPresent() ? FcLayout.JAIL_RUN.resolve("snapshot.state") : state;
        Path memForVmm = layout.jailRoot().isPresent() ? FcLayout.JAIL_RUN.resolve("snapshot.mem") : memory;
        Map<Path, Path> extra = layout.jailRoot().isPresent() ? Map.of(state, stateForVmm, memory, memForVmm) : Map.of();
        return new Plan(spec, layout, FcBootSequence.restore(spec, layout, config, stateForVmm, memForVmm),
                facts(spec, layout), extra);
    }

    private FcLayout layout(VmSpec spec, Path runDir) {
        FcLayout layout = FcLayout.of(runDir.toAbsolutePath().normalize(),
                config.jailer().map(j -> j.jailFor(config.firecracker(), spec)));
        FcChecks.socketPath("Firecracker API socket", layout.apiSocket());
        if (spec.channel() == GuestChannel.VSOCK) {
            FcChecks.socketPath("vsock socket", layout.vsockOnHost());
        }
        boolean inOwnNamespace = config.jailer().flatMap(JailerConfig::netnsDir).isPresent();
        if (!inOwnNamespace) {
            for (NicSpec n : spec.nics()) {
                if (!Files.exists(config.sysClassNet().resolve(n.tapName()))) {
                    throw new VmmException(VmmError.INVALID_SPEC, "tap device '" + n.tapName() + "' of NIC " + n.id()
                            + " does not exist (no " + config.sysClassNet().resolve(n.tapName()) + ")",
                            "create it first, e.g. 'ip tuntap add " + n.tapName() + " mode tap', or let kiln's host"
                                    + " layer create it");
                }
            }
        }
        return layout;
    }

    private FcVmFacts facts(VmSpec spec, FcLayout layout) {
        List<Path> cgroups = switch (layout) {
            case FcLayout.Direct d -> List.of();
            case FcLayout.Jailed j -> config.jailer().orElseThrow().cgroupDirs(j.jail());
        };
        return FcVmFacts.of(layout, spec, cgroups);
    }

    /** Launches and configures; returns the VM with its guest started (or, for a restore, loaded and paused). */
    FcVm start(Plan plan, String driverName) {
        FcLayout layout = plan.layout();
        prepareRunDir(layout);
        FcProcess process = launcher.launch(plan.spec(), layout);
        VmHandle handle = new VmHandle(plan.spec().id(), driverName, process.pid(), process.startTicks(),
                layout.runDir(), "kvm", clock.instant(), plan.facts().toAttributes());
        FirecrackerApiClient api = null;
        try {
            for (Map.Entry<Path, Path> f : plan.extraFiles().entrySet()) {
                FcLayout.Jailed j = (FcLayout.Jailed) layout;
                JailFiles.place(f.getKey(), j.layout().onHost(f.getValue()), false, j.jail().uid(), j.jail().gid());
            }
            api = awaitApi(process, layout);
            FcVm vm = new FcVm(handle, plan.facts(), process, api, new VmPhase.Starting(clock.instant()),
                    FcState.NOT_STARTED);
            plan.requests().forEach(vm::send);
            return vm;
        } catch (VmmException | IOException e) {
            boolean diedByItself = !process.isAlive();
            process.kill();
            Optional<Integer> status = awaitExit(process);
            if (api != null) {
                api.close();
            }
            String said = FcLogs.tails(layout.logOnHost(), layout.stderrLog()); // before the jail (and its log) goes
            layout.jailDir().ifPresent(dir -> JailFiles.remove(dir, plan.facts().cgroupDirs()));
            String how = diedByItself ? status.map(s -> " (Firecracker " + VmExit.describeStatus(s) + ")").orElse("")
                    : "";
            // whatever went wrong once the process ran (a refusal, a death, no answer) is a failed start; what
            // Firecracker said is in the message
            String hint = e instanceof VmmException v ? v.hint() : "see Firecracker's log";
            throw new VmmException(VmmError.VMM_START_FAILED, "Firecracker did not start VM " + plan.spec().id() + ": "
                    + e.getMessage() + how + said, hint, e);
        }
    }

    /** Waits until the API answers {@code GET /}, while the process lives, within the start timeout. */
    private FirecrackerApiClient awaitApi(FcProcess process, FcLayout layout) {
        Path socket = layout.apiSocket();
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        VmmException last = null;
        while (true) {
            if (!process.isAlive()) {
                throw new VmmException(VmmError.VMM_START_FAILED, "Firecracker exited before its API answered",
                        "fix the cause shown in its log, then retry");
            }
            if (Files.exists(socket)) {
                FirecrackerApiClient api = FirecrackerApiClient.create(socket, config.apiTimeout());
                try {
                    api.describeInstance();
                    return api;
                } catch (VmmException e) {
                    api.close();
                    last = e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException(VmmError.TIMEOUT, "Firecracker's API on " + socket + " did not answer within "
                        + config.startTimeout() + (last == null ? " (the socket never appeared)" : ": " + last.getMessage()),
                        "see Firecracker's log; a slow host may need a longer start timeout");
            }
            pause(Duration.ofMillis(5));
        }
    }

    private void prepareRunDir(FcLayout layout) {
        try {
            Files.createDirectories(layout.runDir());
            Files.deleteIfExists(layout.consoleLog());
            if (layout instanceof FcLayout.Direct) {
                for (Path stale : List.of(layout.apiSocket(), layout.vsockOnHost(), layout.logOnHost(),
                        layout.metricsOnHost())) {
                    Files.deleteIfExists(stale);
                }
                Files.createFile(layout.logOnHost());
                Files.createFile(layout.metricsOnHost());
            }
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot prepare " + layout.runDir() + ": " + e,
                    "check that the state directory is writable and the disk is not full", e);
        }
    }

    static Optional<Integer> awaitExit(FcProcess process) {
        try {
            return process.exit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmError.TIMEOUT, "interrupted while waiting for Firecracker", "retry");
        }
    }
}
