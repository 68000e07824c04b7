package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.guest.ProgressListener;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmDriverConformance;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The Firecracker driver against a real {@code firecracker} under KVM. It runs only where all of these exist, and
 * otherwise skips saying which is missing: a firecracker binary ({@code -Dkiln.test.firecracker=PATH}, else
 * {@code PATH}, {@code /usr/local/bin}), {@code /dev/kvm}, an uncompressed guest kernel built with Firecracker's guest
 * config ({@code -Dkiln.test.vmlinux=PATH}, {@code KILN_TEST_VMLINUX}, else {@code /var/tmp/kiln-test-images/vmlinux}),
 * and a KVM that really runs a guest: a probe guest ({@code kiln.probe=1}) must boot under this driver first. kiln's
 * initramfs and root file system come from the guest image builder, as for QEMU.
 */
@Tag("vm")
class FirecrackerDriverConformanceTest extends VmmDriverConformance {
    private static final Path IMAGE_CACHE = Path.of("/var/tmp/kiln-test-images");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(20);

    private static Path firecracker;
    private static Path vmlinux;
    private static GuestImage image;

    /** Why this host cannot run the suite, found once; each test skips with it (surefire shows a test's reason). */
    private static Optional<String> cannotRun = Optional.empty();

    @BeforeAll
    static void findFirecrackerKvmAndAVmlinux() throws IOException {
        cannotRun = whyNot();
        cannotRun.ifPresent(why -> System.out.println("FirecrackerDriverConformanceTest skipped: " + why));
    }

    @BeforeEach
    void needsFirecrackerKvmAndAVmlinux() {
        assumeTrue(cannotRun.isEmpty(), () -> cannotRun.orElse(""));
    }

    private static Optional<String> whyNot() throws IOException {
        Optional<Path> fc = findFirecracker();
        if (fc.isEmpty()) {
            return Optional.of("no firecracker binary (give -Dkiln.test.firecracker=PATH or put it on PATH)");
        }
        firecracker = fc.get();
        Path kvm = Path.of("/dev/kvm");
        if (!Files.exists(kvm)) {
            return Optional.of("/dev/kvm does not exist: Firecracker needs KVM");
        }
        try (RandomAccessFile f = new RandomAccessFile(kvm.toFile(), "rw")) {
            // opened: usable as a file; whether it runs a guest is what the probe tells
        } catch (IOException e) {
            return Optional.of("cannot open /dev/kvm: " + e.getMessage());
        }
        Optional<Path> kernel = findVmlinux();
        if (kernel.isEmpty()) {
            return Optional.of("no uncompressed guest kernel (give -Dkiln.test.vmlinux=PATH, built from Firecracker's"
                    + " guest config; " + KernelImageKind.VMLINUX_HINT + ")");
        }
        vmlinux = kernel.get();
        image = GuestImageBuilder.create(IMAGE_CACHE).ensure(GuestImageOptions.defaults(), ProgressListener.silent());
        return probeGuest().map(why -> "KVM cannot run a guest under Firecracker here: " + why);
    }

    private static Optional<Path> findFirecracker() {
        Optional<String> explicit = Optional.ofNullable(System.getProperty("kiln.test.firecracker"));
        if (explicit.isPresent()) {
            return explicit.map(Path::of).filter(Files::isExecutable);
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.concat(Stream.of(path.split(":")), Stream.of("/usr/local/bin", "/usr/bin"))
                .filter(d -> !d.isBlank())
                .map(d -> Path.of(d, "firecracker"))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .findFirst();
    }

    private static Optional<Path> findVmlinux() {
        return Stream.of(System.getProperty("kiln.test.vmlinux"), System.getenv("KILN_TEST_VMLINUX"),
                        IMAGE_CACHE.resolve("vmlinux").toString())
                .filter(s -> s != null && !s.isBlank())
                .map(Path::of)
                .filter(Files::isRegularFile)
                .filter(p -> {
                    try {
                        return KernelImageKind.of(p) == KernelImageKind.ELF_VMLINUX;
                    } catch (VmmException e) {
                        return false;
                    }
                })
                .findFirst();
    }

    /** Empty when a probe guest printed its marker in time; else why not. */
    private static Optional<String> probeGuest() throws IOException {
        Path dir = Files.createTempDirectory("kiln-fc-probe");
        VmmDriver d = FirecrackerDriver.create(FirecrackerConfig.of(firecracker));
        VmSpec probe = new VmSpec(new VmId("fc-probe-" + VmId.random().value().substring(0, 6)), "probe", 1,
                ByteSize.parse("128M"), vmlinux, Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_PROBE, "1"), List.of(), List.of());
        try {
            VmHandle h = d.start(probe, dir.resolve("run"));
            ConsoleReadiness.Outcome o = ConsoleReadiness.await(h.consoleLog(), GuestProtocol.PROBE_MARKER,
                    GuestProtocol.FAILED_MARKER, PROBE_TIMEOUT, d.await(h.id()));
            return o instanceof ConsoleReadiness.Outcome.Ready ? Optional.empty()
                    : Optional.of("the probe guest did not print " + GuestProtocol.PROBE_MARKER + " within "
                            + PROBE_TIMEOUT.toSeconds() + " s (" + o + ")");
        } catch (VmmException e) {
            return Optional.of("the probe guest did not start: " + e.getMessage());
        } finally {
            try {
                d.destroy(probe.id());
            } catch (VmmException e) {
                // never started
            }
            d.close();
        }
    }

    @Override
    protected VmmDriver newDriver() {
        return FirecrackerDriver.create(FirecrackerConfig.of(firecracker));
    }

    @Override
    protected VmSpec spec(String name) {
        VmId id = idFor(name);
        return new VmSpec(id, name, 1, ByteSize.parse("256M"), vmlinux, Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_ID, id.value()),
                List.of(DriveSpec.of("root", image.rootfs(), true)), List.of());
    }

    @Override
    protected void crashVmm(VmHandle h) {
        try {
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(h.pid())).inheritIO().start();
            assertThat(kill.waitFor()).as("kill -9 %d", h.pid()).isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcStat.isAlive(h.pid()) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(ProcStat.isAlive(h.pid())).as("pid %d alive after SIGKILL", h.pid()).isFalse();
    }

    @Override
    protected Duration bootTimeout() {
        return Duration.ofSeconds(30);
    }

    /** A file with the ELF magic and nothing of a kernel after it: kiln lets it through, Firecracker cannot load it. */
    @Override
    protected VmSpec specThatDiesAtStart(String name) {
        Path garbage = FcTestFiles.fakeVmlinux(tmp.resolve("garbage-vmlinux"));
        VmSpec s = spec(name);
        return new VmSpec(s.id(), s.name(), s.vcpus(), s.memory(), garbage, s.initrd(), s.bootArgs(), s.drives(),
                s.nics());
    }

    @Override
    protected List<String> startFailureEvidence() {
        return List.of("Firecracker did not start VM", "failed with HTTP 400");
    }

    @Override
    protected void assertLiveHandle(VmHandle h) {
        assertThat(h.pid()).isPositive();
        assertThat(h.processStartTicks()).isEqualTo(ProcStat.startTicks(h.pid()).orElseThrow());
        assertThat(ProcStat.cmdline(h.pid())).hasValueSatisfying(c -> assertThat(c)
                .contains("firecracker", "--id " + h.id(), h.runDir().resolve("api.sock").toString()));
        assertThat(h.accelerator()).isEqualTo("kvm");
        assertThat(h.runDir().resolve("api.sock")).exists();
    }

    @Override
    protected void assertStatsOfABootedVm(VmStats stats) {
        assertThat(stats.rssBytes()).isGreaterThan(16L << 20);
        assertThat(stats.cpuTime()).isPositive();
        assertThat(stats.drives()).containsKey("root");
        assertThat(stats.drives().get("root").readBytes()).as("the guest mounted its root disk").isPositive();
        assertThat(stats.drives().get("root").writeBytes()).as("the root disk is read-only").isZero();
    }

    @Override
    protected List<Path> driverFiles(VmHandle h) {
        return List.of(h.runDir().resolve("api.sock"), h.runDir().resolve("firecracker.log"),
                h.runDir().resolve("metrics.json"));
    }

    @Override
    protected List<String> endLeftovers(Path runRoot, List<VmHandle> started) {
        List<String> left = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> ProcStat.cmdline(p.pid())
                        .filter(c -> c.contains("firecracker") && c.contains(runRoot.toString())).isPresent())
                .forEach(p -> {
                    left.add("pid " + p.pid() + ": " + ProcStat.cmdline(p.pid()).orElse("?"));
                    p.destroyForcibly();
                    p.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> p).join();
                });
        return left;
    }
}
