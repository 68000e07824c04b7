package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.CacheType;
import dev.kiln.vmm.firecracker.FcRequest.CreateSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.IoEngine;
import dev.kiln.vmm.firecracker.FcRequest.LoadSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.LogLevel;
import dev.kiln.vmm.firecracker.FcRequest.MemBackend;
import dev.kiln.vmm.firecracker.FcRequest.PatchDrive;
import dev.kiln.vmm.firecracker.FcRequest.PatchNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PatchVm;
import dev.kiln.vmm.firecracker.FcRequest.PutBootSource;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutEntropy;
import dev.kiln.vmm.firecracker.FcRequest.PutLogger;
import dev.kiln.vmm.firecracker.FcRequest.PutMachineConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutMetrics;
import dev.kiln.vmm.firecracker.FcRequest.PutMmds;
import dev.kiln.vmm.firecracker.FcRequest.PutMmdsConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PutVsock;
import dev.kiln.vmm.firecracker.FcRequest.SendCtrlAltDel;
import dev.kiln.vmm.firecracker.FcRequest.SnapshotType;
import dev.kiln.vmm.firecracker.FcRequest.VmState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real client against the fake API: boot sequences and phase rules, every exchange checked against the spec. */
class FirecrackerApiClientTest {
    private static final Path DIR = FcSamples.DIR;

    @TempDir
    Path tmp;

    private FakeFirecrackerApi fake;
    private FirecrackerApiClient client;

    @BeforeEach
    void start() {
        fake = FakeFirecrackerApi.start(tmp.resolve("api.sock"));
        client = FirecrackerApiClient.create(fake.socket(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        fake.close();
        assertThat(fake.specViolations()).isEmpty();
    }

    private void boot() {
        client.send(new PutMachineConfig(2, 256, false, HugePages.NONE, false));
        client.send(PutBootSource.of(DIR.resolve("vmlinux"), "console=ttyS0 reboot=k panic=1"));
        client.send(new InstanceStart());
    }

    @Test
    void aFullBootSequenceSucceedsInOrder() {
        assertThat(client.describeInstance().state()).isEqualTo(FcState.NOT_STARTED);
        RateLimiter tenMegabytes = RateLimiter.bandwidth(new TokenBucket(10_000_000, 20_000_000, Duration.ofMillis(100)));
        List<FcRequest> sequence = List.of(
                PutLogger.to(DIR.resolve("fc.log"), LogLevel.WARNING),
                new PutMetrics(DIR.resolve("metrics.json")),
                new PutMachineConfig(4, 1024, false, HugePages.TWO_MB, true),
                new PutBootSource(DIR.resolve("vmlinux"), Optional.of(DIR.resolve("initrd")), "console=ttyS0"),
                new PutDrive("rootfs", DIR.resolve("rootfs.ext4"), true, true, CacheType.UNSAFE, IoEngine.SYNC,
                        tenMegabytes),
                PutDrive.of("scratch", DIR.resolve("scratch.ext4"), false, false),
                new PutNetworkInterface("eth0", "kiln-tap0", Optional.of("06:00:0a:14:00:02"), tenMegabytes,
                        tenMegabytes),
                new PutVsock(3, DIR.resolve("v.sock")),
                new PutEntropy(RateLimiter.none()),
                PutMmdsConfig.on("eth0"),
                new PutMmds(FcSamples.mmdsData()),
                new InstanceStart());
        sequence.forEach(client::send);

        assertThat(fake.received()).containsExactly("GET /", "PUT /logger", "PUT /metrics", "PUT /machine-config",
                "PUT /boot-source", "PUT /drives/rootfs", "PUT /drives/scratch", "PUT /network-interfaces/eth0",
                "PUT /vsock", "PUT /entropy", "PUT /mmds/config", "PUT /mmds", "PUT /actions");
        InstanceInfo info = client.describeInstance();
        assertThat(info.state()).isEqualTo(FcState.RUNNING);
        assertThat(info.appName()).isEqualTo("Firecracker");
        assertThat(info.vmmVersion()).isEqualTo("1.16.1");
        assertThat(client.machineConfig())
                .isEqualTo(new MachineConfig(4, 1024, false, true, HugePages.TWO_MB, Optional.empty()));
        assertThat(fake.mmds()).contains(FcSamples.mmdsData());
    }

    @Test
    void bodiesGoWithAContentLengthAndABareMediaTypeAsFirecrackersServerNeeds() {
        client.send(new PutMetrics(DIR.resolve("metrics.json")));
        HttpFields headers = fake.lastHeaders();
        assertThat(headers.get(HttpHeader.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(headers.getLongField(HttpHeader.CONTENT_LENGTH)).isPositive();
        assertThat(headers.contains(HttpHeader.TRANSFER_ENCODING)).isFalse();
    }

    @Test
    void machineConfigHasFirecrackersDefaultsBeforeAnyPut() {
        assertThat(client.machineConfig())
                .isEqualTo(new MachineConfig(1, 128, false, false, HugePages.NONE, Optional.empty()));
    }

    @Test
    void aPreBootCallAfterStartFailsWithFirecrackersFaultMessage() {
        boot();
        assertThatThrownBy(() -> client.send(PutDrive.of("late", DIR.resolve("late.ext4"), false, false)))
                .isInstanceOfSatisfying(FirecrackerApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.faultMessage()).isEqualTo(FakeFirecrackerApi.NOT_AFTER_START);
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_PHASE);
                    assertThat(e.getMessage()).contains("PUT /drives/late").contains(FakeFirecrackerApi.NOT_AFTER_START);
                    assertThat(e.hint()).contains("only before InstanceStart");
                });
    }

    @Test
    void pauseAndResumeWorkOnlyAfterStart() {
        assertThatThrownBy(() -> client.send(new PatchVm(VmState.PAUSED)))
                .isInstanceOfSatisfying(FirecrackerApiException.class, e -> {
                    assertThat(e.faultMessage()).isEqualTo(FakeFirecrackerApi.NOT_BEFORE_START);
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_PHASE);
                });
        boot();
        client.send(new PatchVm(VmState.PAUSED));
        assertThat(client.describeInstance().state()).isEqualTo(FcState.PAUSED);
        client.send(new CreateSnapshot(DIR.resolve("s.state"), DIR.resolve("s.mem"), SnapshotType.FULL));
        client.send(new PatchVm(VmState.RESUMED));
        assertThat(client.describeInstance().state()).isEqualTo(FcState.RUNNING);
    }

    @Test
    void sendCtrlAltDelBeforeStartIsRefused() {
        assertThatThrownBy(() -> client.send(new SendCtrlAltDel()))
                .isInstanceOfSatisfying(FirecrackerApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.faultMessage()).isEqualTo(FakeFirecrackerApi.NOT_BEFORE_START);
                });
        boot();
        client.send(new SendCtrlAltDel());
    }

    @Test
    void postBootUpdatesAndMmdsWorkAfterStart() {
        boot();
        client.send(new PatchDrive("rootfs", Optional.empty(), Optional.of(FcSamples.bothBuckets())));
        client.send(new PatchNetworkInterface("eth0", Optional.of(FcSamples.bothBuckets()), Optional.empty()));
        client.send(new PutMmds(FcSamples.mmdsData()));
        assertThat(fake.received()).endsWith("PATCH /drives/rootfs", "PATCH /network-interfaces/eth0", "PUT /mmds");
    }

    @Test
    void startWithoutAKernelIsBadInputNotAPhaseError() {
        assertThatThrownBy(() -> client.send(new InstanceStart()))
                .isInstanceOfSatisfying(FirecrackerApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.faultMessage()).contains("without kernel configuration");
                });
    }

    @Test
    void aSnapshotLoadsOnlyIntoAFreshProcess() {
        LoadSnapshot load = new LoadSnapshot(DIR.resolve("s.state"), MemBackend.file(DIR.resolve("s.mem")), false,
                true, List.of(), Optional.empty());
        client.send(PutLogger.to(DIR.resolve("fc.log"), LogLevel.INFO));
        client.send(load);
        assertThat(client.describeInstance().state()).isEqualTo(FcState.RUNNING);
        assertThatThrownBy(() -> client.send(load)).isInstanceOf(FirecrackerApiException.class);
    }

    @Test
    void aVmmThatDoesNotAnswerTimesOut() {
        fake.delayReplies(Duration.ofMillis(800));
        try (FirecrackerApiClient impatient = FirecrackerApiClient.create(fake.socket(), Duration.ofMillis(100))) {
            assertThatThrownBy(impatient::describeInstance)
                    .isInstanceOfSatisfying(VmmException.class, e -> {
                        assertThat(e.code()).isEqualTo(VmmError.TIMEOUT);
                        assertThat(e.getMessage()).contains("GET /").contains("PT0.1S");
                    });
        }
    }

    @Test
    void noProcessOnTheSocketIsAClearError() {
        try (FirecrackerApiClient nobody = FirecrackerApiClient.create(tmp.resolve("nobody.sock"), Duration.ofSeconds(2))) {
            assertThatThrownBy(nobody::describeInstance)
                    .isInstanceOfSatisfying(VmmException.class, e -> {
                        assertThat(e).isNotInstanceOf(FirecrackerApiException.class);
                        assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED);
                        assertThat(e.getMessage()).contains("GET /").contains("nobody.sock");
                    });
        }
    }
}
