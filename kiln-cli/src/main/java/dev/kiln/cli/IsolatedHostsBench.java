package dev.kiln.cli;

import dev.kiln.api.agent.FunctionSetup;
import dev.kiln.host.HostAgent;
import dev.kiln.host.HostConfig;
import dev.kiln.host.HostException;
import dev.kiln.host.ImageDisks;
import dev.kiln.host.VmCreateRequest;
import dev.kiln.host.VmSlotBackend;
import dev.kiln.host.VmView;
import dev.kiln.host.fn.FunctionVersion;
import dev.kiln.host.fn.SlotManager;
import dev.kiln.image.BuildSpec;
import dev.kiln.image.ImageBuild;
import dev.kiln.image.ImageStore;
import dev.kiln.net.FreeSubnets;
import dev.kiln.vmm.JailPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The daemon's path with isolation on against off: two host agents in this process, side by side, each with its own
 * bridge, subnet, state directory and socket. One is kiln's default (QEMU jailed, the bridge guard on), the other has
 * both off ({@code KILN_VMM_JAIL=off}, {@code --no-guest-isolation}). VM starts through each one's VM service (a tap,
 * the guard's set elements, the jail, the boot until the agent answers), then a Python function's warm invocations
 * in a slot VM of each (micro-manager, the slot's agent over the tap and the bridge, the Lambda Runtime API in the
 * guest, and back), alternated.
 */
final class IsolatedHostsBench implements AutoCloseable {
    static final String RUNTIME_IMAGE = "python3-runtime:1";
    static final List<String> SIDES = List.of("isolated", "open");

    /** One side: its agent, its slots, and what was measured on it. */
    static final class Side {
        final String name;
        final HostConfig config;
        final HostAgent agent;
        final VmSlotBackend backend;
        final SlotManager slots;
        final List<Long> startMs = new ArrayList<>();
        final List<Double> warmMs = new ArrayList<>();
        long coldMs;

        Side(String name, HostConfig config, HostAgent agent, VmSlotBackend backend, SlotManager slots) {
            this.name = name;
            this.config = config;
            this.agent = agent;
            this.backend = backend;
            this.slots = slots;
        }
    }

    private final List<Side> sides = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Closes both agents (their VMs, taps, bridges, tables) when the benchmark is interrupted (Ctrl-C, kill). */
    private final Thread onExit = new Thread(this::close, "kiln-bench-isolation-cleanup");
    private final Path work;
    private final Consumer<String> progress;
    private final FunctionVersion fn;

    private IsolatedHostsBench(Path work, Consumer<String> progress, FunctionVersion fn) {
        this.work = work;
        this.progress = progress;
        this.fn = fn;
    }

    /**
     * Starts both agents. {@code stateDir} is kiln's (its guest image cache is shared; the Python runtime image is
     * built once into {@code cache/bench-python-runtime} from {@code runtimeSpec}).
     */
    static IsolatedHostsBench start(Path stateDir, Path runtimeSpec, Path functionCode, Path work,
                                    Consumer<String> progress) throws IOException {
        Path runtimeStore = stateDir.resolve("cache/bench-python-runtime");
        ImageStore store = ImageStore.open(runtimeStore);
        if (store.list().stream().noneMatch(i -> i.references().contains(RUNTIME_IMAGE))) {
            if (!Files.isRegularFile(runtimeSpec)) {
                throw new CliException("FILE_NOT_FOUND", "the Python runtime's image spec " + runtimeSpec
                        + " is not there", "run kiln from its project directory (./kiln)", ExitCodes.FILE_NOT_FOUND);
            }
            progress.accept("building " + RUNTIME_IMAGE + " once into " + runtimeStore + " (mmdebstrap, a minute or"
                    + " more)...");
            ImageBuild.forHost(store, Clock.systemUTC(), Duration.ofMinutes(15)).build(BuildSpec.read(runtimeSpec),
                    RUNTIME_IMAGE);
        }
        FunctionSetup setup = new FunctionSetup("bench-isolation", "1",
                "arn:aws:lambda:kiln-local:000000000000:function:bench-isolation", "kiln-local", "python3",
                "app.handler", 128, Duration.ofSeconds(10), Duration.ofMinutes(2), Map.of(),
                Optional.of(RUNTIME_IMAGE), Optional.empty(), List.of());
        IsolatedHostsBench bench = new IsolatedHostsBench(work, progress,
                new FunctionVersion(setup, FnCommand.zip(functionCode), Optional.empty()));
        Runtime.getRuntime().addShutdownHook(bench.onExit);
        try {
            // 10.79.200-255: clear of the daemon's 10.77.0.0/24 and the tests' 10.78.x
            List<String> subnets = FreeSubnets.pick("10.79", 2, FreeSubnets.inUse(), i -> 200 + i);
            for (int i = 0; i < SIDES.size(); i++) {
                String name = SIDES.get(i);
                boolean on = name.equals("isolated");
                Path state = work.resolve(name);
                Files.createDirectories(state);
                HostConfig config = new HostConfig(state, state.resolve("kiln.sock"), stateDir.resolve("cache"),
                        "kbi-" + name, subnets.get(i), Optional.empty(), Duration.ofSeconds(180), false,
                        HostConfig.DEFAULT_SCRATCH_BYTES, HostConfig.DEFAULT_REGISTRY_PORT, Optional.empty(), on);
                progress.accept("starting the " + name + " host agent (bridge " + config.bridge() + ", "
                        + config.subnet() + (on ? ", VMMs jailed, guest isolation on" : ", no jail, no guest isolation")
                        + ")...");
                HostAgent agent = HostAgent.start(config, on ? JailPolicy.on() : JailPolicy.off());
                Side side = null;
                try {
                    agent.images().importFrom(runtimeStore);
                    VmSlotBackend backend = new VmSlotBackend(agent.vms(), agent.info().registry(),
                            Optional.of(new ImageDisks(agent.images(), state.resolve("image-disks"))), 0,
                            Optional.empty());
                    backend.autoSnapshot(false);
                    backend.cpuShare(false);
                    SlotManager slots = new SlotManager(backend, Clock.systemUTC(), new SlotManager.Config(
                            Duration.ofMinutes(30), 1, 4, Duration.ofMinutes(3), Duration.ofSeconds(30)));
                    side = new Side(name, config, agent, backend, slots);
                } finally {
                    if (side == null) agent.cleanupAndClose();
                }
                bench.sides.add(side);
            }
            return bench;
        } catch (RuntimeException e) {
            bench.close();
            throw cli(e);
        } catch (IOException e) {
            bench.close();
            throw e;
        }
    }

    List<Side> sides() {
        return sides;
    }

    /**
     * Starts a VM through {@code side}'s VM service ({@code memory}, one vCPU, a NIC on its bridge), waits until its agent
     * answers, then removes it; returns the start's milliseconds.
     */
    long startOnce(Side side, String memory) {
        String name = "bench-iso-" + side.name.charAt(0) + "-" + side.startMs.size();
        long t0 = System.nanoTime();
        VmView vm;
        try {
            vm = side.agent.vms().create(new VmCreateRequest(Optional.of(name), Optional.empty(),
                    Optional.of(memory), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty()), true);
        } catch (RuntimeException e) {
            throw cli(e);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        try {
            if (!vm.ready()) {
                throw new CliException("VMM_START_FAILED", "the benchmark VM " + name + " on the " + side.name
                        + " host did not become ready: " + vm.phase() + " " + vm.cause().orElse(""),
                        "see " + side.config.stateDir().resolve("vms"), 1);
            }
        } finally {
            side.agent.vms().remove(name, true);
        }
        side.startMs.add(ms);
        return ms;
    }

    /** The function's first invocation on {@code side}: a slot VM boots, pulls nothing (the image is a disk). */
    void cold(Side side) {
        long t0 = System.nanoTime();
        SlotManager.Result r = invoke(side);
        if (!r.cold()) throw new IllegalStateException("the first invocation on " + side.name + " was not cold");
        side.coldMs = (System.nanoTime() - t0) / 1_000_000;
    }

    /** One warm invocation on {@code side}, timed from the micro-manager's call to its result. */
    double warm(Side side) {
        long t0 = System.nanoTime();
        SlotManager.Result r = invoke(side);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r.cold()) {
            throw new CliException("BENCH_FAILED", "a warm invocation on the " + side.name + " host was cold: its"
                    + " slot was lost (" + r.slot() + ")", "see the daemon's log lines above", 1);
        }
        side.warmMs.add(ms);
        return ms;
    }

    private SlotManager.Result invoke(Side side) {
        SlotManager.Result r = side.slots.invoke(fn, "{\"name\": \"bench\"}".getBytes(StandardCharsets.UTF_8));
        if (r.reply().functionError().isPresent()) {
            throw new CliException("BENCH_FAILED", "the benchmark function failed on the " + side.name + " host: "
                    + new String(r.reply().body(), StandardCharsets.UTF_8), "see the daemon's log lines above", 1);
        }
        return r;
    }

    /** A failure of the host agents' code as the CLI reports it (code, message, hint, exit code). */
    private static CliException cli(RuntimeException e) {
        if (e instanceof CliException c) return c;
        HostException h = HostException.from(e);
        return new CliException(h.code().name(), h.getMessage(), h.hint(), h.code().exitCode(), h);
    }

    @Override
    public synchronized void close() {
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already (the hook runs or ran), or closed before
            }
        }
        for (Side side : sides.reversed()) {
            try {
                side.slots.close();
                side.backend.close();
            } catch (RuntimeException e) {
                progress.accept("closing the " + side.name + " slots: " + e.getMessage());
            }
            side.agent.cleanupAndClose();
        }
        sides.clear();
        try {
            IsolationBench.deleteTree(work);
        } catch (IOException e) {
            progress.accept("cannot remove " + work + ": " + e.getMessage());
        }
    }
}
