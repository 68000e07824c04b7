package dev.kiln.vmm.fake;

import dev.kiln.vmm.DriverCapabilities;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.Lifecycle;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real driver without a hypervisor, for control-logic tests at scale. Each VM writes a console log with the
 * ready marker after its boot delay, so the same readiness strategies work on it. Knobs are chosen per spec.
 */
public final class FakeDriver implements VmmDriver {
    public static final String NAME = "fake";
    private static final DriverCapabilities CAPABILITIES = new DriverCapabilities(true, true, true, true, true, false, false);

    private final FakeWorld world;
    private final Function<VmSpec, FakeKnobs> knobs;
    private final String readyLine;

    /**
     * @param readyLine the line a fake guest prints on its console when ready (the real guest's marker line)
     */
    public FakeDriver(FakeWorld world, Function<VmSpec, FakeKnobs> knobs, String readyLine) {
        this.world = world;
        this.knobs = knobs;
        this.readyLine = readyLine;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DriverCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public VmHandle start(VmSpec spec, Path runDir) {
        FakeKnobs k = knobs.apply(spec);
        if (spec.channel() == GuestChannel.VSOCK) {
            throw new VmmException(VmmError.UNSUPPORTED, "the fake driver offers no vsock", "use channel NETWORK");
        }
        // the same files a real VMM needs, so control logic sees the same errors
        requireFile(spec.kernel(), "kernel");
        spec.initrd().ifPresent(i -> requireFile(i, "initrd"));
        spec.drives().forEach(d -> requireFile(d.path(), "disk '" + d.id() + "'"));
        if (k.failToStart()) {
            throw new VmmException(VmmError.VMM_START_FAILED, "fake VMM refused to start (knob failToStart)", "clear the knob");
        }
        if (world.vms.containsKey(spec.id())) {
            throw new VmmException(VmmError.INVALID_SPEC, "VM " + spec.id() + " already exists", "use a new id");
        }
        Path console = runDir.resolve("console.log");
        try {
            Files.createDirectories(runDir);
            Files.writeString(console, "fake VM " + spec.id() + " booting\n");
        } catch (IOException e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot write " + console + ": " + e.getMessage(), "check the disk", e);
        }
        VmHandle handle = new VmHandle(spec.id(), NAME, -1, 0, runDir, "none", world.clock.instant(), Map.of());
        FakeVm vm = new FakeVm(world, handle, new VmPhase.Running(world.clock.instant()));
        world.vms.put(spec.id(), vm);
        world.timers.schedule(() -> appendConsole(console, readyLine.replace("{id}", spec.id().value()) + "\n"),
                k.bootDelay().toMillis(), TimeUnit.MILLISECONDS);
        k.dieAfter().ifPresent(d -> world.timers.schedule(() -> vm.die(k.exitStatus(), false, false),
                d.toMillis(), TimeUnit.MILLISECONDS));
        return handle;
    }

    private static void requireFile(Path p, String what) {
        if (!Files.isRegularFile(p)) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, what + " file " + p + " does not exist", "check the path");
        }
    }

    private static void appendConsole(Path console, String line) {
        try {
            Files.writeString(console, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the VM's directory was removed: nothing to print to
        }
    }

    @Override
    public VmStatus recover(VmHandle handle) {
        FakeVm vm = world.vms.get(handle.id());
        if (vm == null) {
            VmPhase gone = new VmPhase.Failed(VmExit.unknownStatus(world.clock.instant(), "fake VM was gone at recovery"));
            FakeVm ghost = new FakeVm(world, handle, gone);
            ghost.done.complete(gone);
            world.vms.put(handle.id(), ghost);
            return new VmStatus(handle, gone);
        }
        return new VmStatus(vm.handle, vm.phase());
    }

    @Override
    public CompletableFuture<VmPhase> await(VmId id) {
        return vm(id).done;
    }

    @Override
    public VmPhase stop(VmId id, Duration timeout) {
        FakeVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.STOP);
        vm.die(0, true, true);
        return vm.done.join();
    }

    @Override
    public VmPhase kill(VmId id) {
        FakeVm vm = vm(id);
        vm.die(137, true, false);
        return vm.done.join();
    }

    @Override
    public void pause(VmId id) {
        FakeVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.PAUSE);
        vm.phase(new VmPhase.Paused(world.clock.instant()));
    }

    @Override
    public void resume(VmId id) {
        FakeVm vm = vm(id);
        Lifecycle.check(id, vm.phase(), VmCommand.RESUME);
        vm.phase(new VmPhase.Running(world.clock.instant()));
    }

    @Override
    public void update(VmId id, VmUpdate update) {
        Lifecycle.check(id, vm(id).phase(), VmCommand.UPDATE);
    }

    @Override
    public VmStatus inspect(VmId id) {
        FakeVm vm = vm(id);
        return new VmStatus(vm.handle, vm.phase());
    }

    @Override
    public VmStats stats(VmId id) {
        vm(id);
        return new VmStats(0, Duration.ZERO, Map.of());
    }

    @Override
    public void destroy(VmId id) {
        FakeVm vm = world.vms.get(id);
        if (vm == null) return;
        vm.die(137, true, false);
        world.vms.remove(id);
    }

    @Override
    public void close() {
        // fake VMs live in the world, as real ones outlive the agent
    }

    private FakeVm vm(VmId id) {
        FakeVm vm = world.vms.get(id);
        if (vm == null) {
            throw new VmmException(VmmError.UNKNOWN_VM, "no VM " + id + " in the fake driver", "list VMs with 'kiln vm ls'");
        }
        return vm;
    }
}
