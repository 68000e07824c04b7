package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.guest.GuestProtocol;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmDriverConformance;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The Firecracker driver passes the shared conformance suite with {@link FakeFcLauncher} in place of the Firecracker
 * binary: every API call goes over a real Unix socket to the spec-checked fake, and the VMM process is a real
 * stand-in process. What this cannot show (a real guest boots, a real Firecracker agrees) is
 * {@link FirecrackerDriverConformanceTest}'s.
 */
class FirecrackerOnFakeApiConformanceTest extends VmmDriverConformance {
    static final String READY_LINE = GuestProtocol.READY_MARKER + " id={id} ip=none";
    /** Counters the fake writes at each flush: the root disk read 4 KiB, the NIC moved a little. */
    static final String METRICS = "{\"utc_timestamp_ms\":1,\"block\":{\"read_bytes\":4096},"
            + "\"block_root\":{\"read_bytes\":4096,\"write_bytes\":0,\"read_count\":1,\"write_count\":0,\"flush_count\":0},"
            + "\"vcpu\":{\"exit_io_in\":3}}";

    private FakeFcLauncher launcher;

    @BeforeEach
    void fakeFirecracker() {
        launcher = new FakeFcLauncher(READY_LINE);
        launcher.metricsLine(METRICS);
    }

    @AfterEach
    void noSpecViolations() {
        List<String> violations = new ArrayList<>();
        launcher.allApis().forEach(api -> violations.addAll(api.specViolations()));
        assertThat(violations).isEmpty();
    }

    @Override
    protected VmmDriver newDriver() {
        FirecrackerConfig config = FirecrackerConfig.of(Path.of("/opt/fake/firecracker"))
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
        return new FirecrackerVmmDriver(config, launcher, Clock.systemUTC());
    }

    @Override
    protected VmSpec spec(String name) {
        Path kernel = FcTestFiles.fakeVmlinux(tmp.resolve("vmlinux"));
        Path rootfs = writeFile(tmp.resolve("rootfs.ext4"), "a fake root file system\n");
        return new VmSpec(idFor(name), name, 1, ByteSize.parse("128M"), kernel, Optional.empty(), "",
                List.of(DriveSpec.of("root", rootfs, true)), List.of());
    }

    @Override
    protected void crashVmm(VmHandle h) {
        launcher.crash(h.id());
    }

    @Override
    protected Duration bootTimeout() {
        return Duration.ofSeconds(5);
    }

    @Override
    protected VmSpec specThatDiesAtStart(String name) {
        return spec(FakeFcLauncher.DIES_AT_START + "-" + name);
    }

    @Override
    protected List<String> startFailureEvidence() {
        return List.of(FakeFcLauncher.DEATH_MESSAGE, "exited with status 1", "vmm.log");
    }

    @Override
    protected void assertLiveHandle(VmHandle h) {
        assertThat(h.pid()).isPositive();
        assertThat(h.processStartTicks()).isEqualTo(ProcStat.startTicks(h.pid()).orElseThrow());
        assertThat(h.accelerator()).isEqualTo("kvm");
        assertThat(h.attributes()).containsEntry("api-socket", h.runDir().resolve("api.sock").toString());
        assertThat(h.runDir().resolve("api.sock")).exists();
    }

    @Override
    protected void assertStatsOfABootedVm(VmStats stats) {
        assertThat(stats.rssBytes()).isPositive();
        assertThat(stats.drives()).containsKey("root");
        assertThat(stats.drives().get("root").readBytes()).isEqualTo(4096);
        assertThat(stats.drives().get("root").writeBytes()).isZero();
    }

    @Override
    protected List<Path> driverFiles(VmHandle h) {
        return List.of(h.runDir().resolve("api.sock"), h.runDir().resolve("firecracker.log"),
                h.runDir().resolve("metrics.json"));
    }

    @Override
    protected List<String> endLeftovers(Path runRoot, List<VmHandle> started) {
        List<String> left = new ArrayList<>(launcher.running());
        launcher.endAll();
        return left;
    }
}
