package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake in place of the Firecracker binary: for each VM it serves a {@link FakeFirecrackerApi} in this JVM on the
 * layout's API socket, behind a real stand-in process ({@code sh}, named {@code fake-firecracker} in its command
 * line), so that pids, start times, SIGKILL, exit statuses and re-attaching are real. The stand-in does what a guest
 * would make Firecracker do: on {@code InstanceStart} the "guest" prints {@link #readyLine} on the console, on
 * {@code SendCtrlAltDel} it shuts down and the stand-in exits with status 0. When the stand-in ends, its API goes.
 *
 * <p>Like a VMM process, a fake outlives the driver that started it; {@link #close()} ends them all. Specs whose name
 * starts with {@link #DIES_AT_START} get a stand-in that prints an error on stderr and exits with status 1 before any
 * API exists; {@link #SILENT} ones a stand-in that runs but never serves an API.
 */
final class FakeFcLauncher implements FcLauncher, AutoCloseable {
    static final String DIES_AT_START = "diesatstart";
    static final String SILENT = "silent";
    static final String DEATH_MESSAGE = "fake firecracker: Cannot load kernel: Invalid ELF magic number";
    static final String STAND_IN = "fake-firecracker";

    /** One fake VMM: the stand-in process and its API. */
    record FakeVmm(VmId id, Process process, Optional<FakeFirecrackerApi> api) {}

    private final Map<VmId, FakeVmm> vmms = new ConcurrentHashMap<>();
    private final List<FakeFirecrackerApi> all = new ArrayList<>();
    private final AtomicInteger launches = new AtomicInteger();
    private final String readyLine;
    private volatile Optional<String> metricsLine = Optional.empty();
    private volatile boolean installed = true;

    /** @param readyLine the console line of a ready guest; {@code {id}} is replaced by the VM id */
    FakeFcLauncher(String readyLine) {
        this.readyLine = readyLine;
    }

    /** Knob: the metrics line each fake writes at {@code FlushMetrics}. */
    void metricsLine(String line) {
        metricsLine = Optional.of(line);
    }

    /** Knob: behave as if Firecracker were not installed. */
    void uninstall() {
        installed = false;
    }

    int launches() {
        return launches.get();
    }

    FakeFirecrackerApi api(VmId id) {
        return vmms.get(id).api().orElseThrow();
    }

    /** The API of every VM this launcher started, including ended ones. */
    synchronized List<FakeFirecrackerApi> allApis() {
        return List.copyOf(all);
    }

    @Override
    public void checkInstalled() {
        if (!installed) {
            throw new VmmException(VmmError.VMM_NOT_INSTALLED, "fake Firecracker is not installed (knob)", "reinstall");
        }
    }

    @Override
    public FcProcess launch(VmSpec spec, FcLayout layout) {
        checkInstalled();
        launches.incrementAndGet();
        if (layout instanceof FcLayout.Jailed jailed) {
            JailFiles.prepare(jailed, spec); // as the real launcher does before the jailer runs
        }
        String script = spec.name().startsWith(DIES_AT_START) ? "echo \"" + DEATH_MESSAGE + "\" >&2; exit 1"
                : "read -r line; exit 0";
        Process p;
        try {
            p = new ProcessBuilder("sh", "-c", script, STAND_IN, "--api-sock", layout.apiSocket().toString(), "--id",
                    spec.id().value())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.consoleLog().toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(layout.stderrLog().toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Optional<FakeFirecrackerApi> api = Optional.empty();
        if (!spec.name().startsWith(DIES_AT_START) && !spec.name().startsWith(SILENT)) {
            FakeFirecrackerApi fake = FakeFirecrackerApi.start(layout.apiSocket(), layout.jailRoot());
            metricsLine.ifPresent(fake::metricsLine);
            Path console = layout.consoleLog();
            String ready = readyLine.replace("{id}", spec.id().value());
            fake.onAction(action -> {
                switch (action) {
                    case "InstanceStart" -> append(console, "fake guest " + spec.id() + " booting\n" + ready + "\n");
                    case "SendCtrlAltDel" -> Thread.ofVirtual().start(() -> closeQuietly(p));
                    default -> { }
                }
            });
            synchronized (this) {
                all.add(fake);
            }
            api = Optional.of(fake);
            p.onExit().thenRun(fake::close);
        }
        vmms.put(spec.id(), new FakeVmm(spec.id(), p, api));
        return FcProcess.child(p);
    }

    @Override
    public Optional<FcProcess> attach(VmHandle handle) {
        FakeVmm vmm = vmms.get(handle.id());
        if (vmm == null || !vmm.process().isAlive() || vmm.process().pid() != handle.pid()
                || ProcStat.startTicks(handle.pid()).map(t -> t != handle.processStartTicks()).orElse(true)) {
            return Optional.empty();
        }
        return Optional.of(FcProcess.adopted(handle.pid(), handle.processStartTicks(), Duration.ofMillis(20)));
    }

    /** SIGKILLs a stand-in from outside, as a crash would, and returns once it is gone. */
    void crash(VmId id) {
        Process p = vmms.get(id).process();
        try {
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(p.pid())).inheritIO().start();
            kill.waitFor();
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stand-ins that still run, each described. */
    List<String> running() {
        return vmms.values().stream().filter(v -> v.process().isAlive())
                .map(v -> "fake VMM " + v.id() + " (pid " + v.process().pid() + ")").toList();
    }

    /** Ends every stand-in that still runs (their APIs go with them). */
    void endAll() {
        for (FakeVmm v : vmms.values()) {
            v.process().destroyForcibly();
            try {
                v.process().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        endAll();
        allApis().forEach(FakeFirecrackerApi::close);
    }

    private static void closeQuietly(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
    }

    private static void append(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
