package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.GuestIdentity;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.Snapshots;
import dev.kiln.vmm.Snapshots.SnapshotFiles;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmStats;
import dev.kiln.vmm.VmUpdate;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Firecracker driver's conversation with Firecracker, against the spec-checked fake API: the order of the boot
 * requests and their bodies, Firecracker's fault messages in errors, what pause, resume, update, stop and snapshots
 * send, and that nothing configured before boot is ever sent after it.
 */
class FirecrackerVmmDriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static final Set<String> PRE_BOOT = Set.of("PUT /logger", "PUT /metrics", "PUT /machine-config",
            "PUT /boot-source", "PUT /drives/root", "PUT /drives/scratch", "PUT /network-interfaces/eth0",
            "PUT /vsock", "PUT /entropy", "PUT /mmds/config", "PUT /snapshot/load");

    @TempDir
    Path tmp;

    private FakeFcLauncher launcher;
    private FirecrackerVmmDriver driver;
    private Path sysClassNet;

    @BeforeEach
    void setUp() throws IOException {
        launcher = new FakeFcLauncher(FirecrackerOnFakeApiConformanceTest.READY_LINE);
        sysClassNet = Files.createDirectories(tmp.resolve("sys-class-net"));
        Files.createDirectories(sysClassNet.resolve("kiln-tap0"));
        driver = new FirecrackerVmmDriver(config(), launcher, Clock.systemUTC());
    }

    private FirecrackerConfig config() {
        return FirecrackerConfig.of(Path.of("/opt/fake/firecracker"))
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .withSysClassNet(sysClassNet);
    }

    @AfterEach
    void tearDown() {
        driver.close();
        List<String> violations = new ArrayList<>();
        launcher.allApis().forEach(api -> violations.addAll(api.specViolations()));
        launcher.close();
        assertThat(violations).isEmpty();
    }

    private VmSpec spec(String name) {
        Path kernel = FcTestFiles.fakeVmlinux(tmp.resolve("vmlinux"));
        Path initrd = FcTestFiles.write(tmp.resolve("initrd.img"), "an initramfs");
        Path rootfs = FcTestFiles.write(tmp.resolve("rootfs.ext4"), "a root file system");
        Path scratch = FcTestFiles.write(tmp.resolve("scratch-" + name + ".ext4"), "a scratch disk");
        RateLimiter tenMbps = RateLimiter.bandwidth(TokenBucket.of(1_250_000, Duration.ofMillis(1000)));
        return new VmSpec(new VmId(name), name, 2, ByteSize.parse("256M"), kernel, Optional.of(initrd), "kiln.id=" + name,
                List.of(new DriveSpec("root", rootfs, true, tenMbps), DriveSpec.of("scratch", scratch, false)),
                List.of(new NicSpec("eth0", "kiln-tap0", "06:00:0a:14:00:02", tenMbps, RateLimiter.none())),
                GuestIdentity.none().withAddress("10.20.0.2/24", "10.20.0.1").withHostname("web-1").withAgentToken(TOKEN),
                GuestChannel.VSOCK);
    }

    private VmHandle start(VmSpec spec) {
        return driver.start(spec, tmp.resolve("run").resolve(spec.name()));
    }

    private static JsonNode body(FakeFirecrackerApi api, String call) {
        List<String> calls = api.received();
        int i = calls.indexOf(call);
        assertThat(i).as("%s was sent; sent: %s", call, calls).isNotNegative();
        try {
            return JSON.readTree(api.receivedBodies().get(i));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> after(List<String> calls, String first) {
        return calls.subList(calls.indexOf(first) + 1, calls.size());
    }

    @Test
    void startSendsTheWholeConfigurationInOrderThenStarts() {
        VmSpec spec = spec("order");
        VmHandle h = start(spec);
        FakeFirecrackerApi api = launcher.api(spec.id());

        assertThat(api.received()).containsExactly("GET /", "PUT /logger", "PUT /metrics", "PUT /machine-config",
                "PUT /boot-source", "PUT /drives/root", "PUT /drives/scratch", "PUT /network-interfaces/eth0",
                "PUT /vsock", "PUT /entropy", "PUT /mmds/config", "PUT /mmds", "PUT /actions");
        assertThat(api.state()).isEqualTo(FcState.RUNNING);
        assertThat(driver.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);

        Path run = h.runDir();
        assertThat(body(api, "PUT /logger").path("log_path").asText()).isEqualTo(run.resolve("firecracker.log").toString());
        assertThat(body(api, "PUT /metrics").path("metrics_path").asText()).isEqualTo(run.resolve("metrics.json").toString());
        assertThat(body(api, "PUT /machine-config").path("vcpu_count").asInt()).isEqualTo(2);
        assertThat(body(api, "PUT /machine-config").path("mem_size_mib").asInt()).isEqualTo(256);
        JsonNode boot = body(api, "PUT /boot-source");
        assertThat(boot.path("kernel_image_path").asText()).isEqualTo(spec.kernel().toString());
        assertThat(boot.path("initrd_path").asText()).isEqualTo(spec.initrd().orElseThrow().toString());
        assertThat(boot.path("boot_args").asText()).isEqualTo(FirecrackerConfig.DEFAULT_BOOT_ARGS + " kiln.id=order");
        JsonNode root = body(api, "PUT /drives/root");
        assertThat(root.path("is_root_device").asBoolean()).as("the initramfs mounts vda itself").isFalse();
        assertThat(root.path("is_read_only").asBoolean()).isTrue();
        assertThat(root.path("rate_limiter").path("bandwidth").path("size").asLong()).isEqualTo(1_250_000);
        assertThat(body(api, "PUT /drives/scratch").path("is_read_only").asBoolean()).isFalse();
        JsonNode nic = body(api, "PUT /network-interfaces/eth0");
        assertThat(nic.path("host_dev_name").asText()).isEqualTo("kiln-tap0");
        assertThat(nic.path("guest_mac").asText()).isEqualTo("06:00:0a:14:00:02");
        assertThat(nic.has("rx_rate_limiter")).isTrue();
        assertThat(nic.has("tx_rate_limiter")).as("an unlimited direction is left out").isFalse();
        assertThat(body(api, "PUT /vsock").path("uds_path").asText()).isEqualTo(run.resolve("v.sock").toString());
        JsonNode mmdsConfig = body(api, "PUT /mmds/config");
        assertThat(mmdsConfig.path("version").asText()).isEqualTo("V2");
        assertThat(mmdsConfig.path("network_interfaces").get(0).asText()).isEqualTo("eth0");
        assertThat(body(api, "PUT /actions").path("action_type").asText()).isEqualTo("InstanceStart");

        JsonNode kiln = api.mmds().orElseThrow().path(MmdsIdentity.KILN);
        assertThat(kiln.path("id").asText()).isEqualTo("order");
        assertThat(kiln.path("ip").asText()).isEqualTo("10.20.0.2/24");
        assertThat(kiln.path("gateway").asText()).isEqualTo("10.20.0.1");
        assertThat(kiln.path("hostname").asText()).isEqualTo("web-1");
        assertThat(kiln.path("token").asText()).isEqualTo(TOKEN);
        assertThat(api.mmds().orElseThrow().path("latest").path("meta-data").path("local-ipv4").asText())
                .isEqualTo("10.20.0.2");
        assertThat(h.attributes()).containsEntry("vsock", run.resolve("v.sock").toString())
                .containsEntry("drives", "root,scratch").containsEntry("nics", "eth0");
        assertThat(spec.toString()).as("the token never shows in logs").doesNotContain(TOKEN);
    }

    @Test
    void aRefusalFailsTheStartWithFirecrackersFaultMessageAndItsLogAndLeavesNothingRunning() {
        VmSpec spec = spec("refused");
        launcher.metricsLine("{}");
        // the fake for this VM does not exist before launch: refuse through a knob set on the first request
        FcLauncher refusing = new FcLauncher() {
            @Override
            public void checkInstalled() {}

            @Override
            public FcProcess launch(VmSpec s, FcLayout layout) {
                FcProcess p = launcher.launch(s, layout);
                launcher.api(s.id()).failNext("PUT /drives/scratch", 400,
                        "Unable to create the block device: No such file or directory (os error 2)");
                return p;
            }

            @Override
            public Optional<FcProcess> attach(VmHandle handle) {
                return launcher.attach(handle);
            }
        };
        driver = new FirecrackerVmmDriver(config(), refusing, Clock.systemUTC());

        assertThatThrownBy(() -> start(spec)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED);
            assertThat(e.getMessage()).contains("PUT /drives/scratch", "HTTP 400",
                    "Unable to create the block device: No such file or directory (os error 2)",
                    "--- firecracker.log", "Received Error. Status code: 400");
            assertThat(e.hint()).isNotBlank();
        });
        assertThat(launcher.running()).isEmpty();
        assertThat(launcher.api(spec.id()).received()).doesNotContain("PUT /actions");
        assertThatThrownBy(() -> driver.inspect(spec.id())).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.UNKNOWN_VM));
    }

    @Test
    void aVmmThatNeverAnswersFailsTheStartAfterTheStartTimeoutAndIsKilled() {
        driver = new FirecrackerVmmDriver(config().withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(300)),
                launcher, Clock.systemUTC());
        VmSpec spec = spec(FakeFcLauncher.SILENT);

        assertThatThrownBy(() -> start(spec)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED);
            assertThat(e.getMessage()).contains("did not answer within PT0.3S", "the socket never appeared");
        });
        assertThat(launcher.running()).isEmpty();
    }

    @Test
    void pauseUpdateResumeAndStopSendTheirCallsInOrder() {
        VmSpec spec = spec("lifecycle");
        VmHandle h = start(spec);
        FakeFirecrackerApi api = launcher.api(spec.id());

        driver.pause(h.id());
        assertThat(api.state()).isEqualTo(FcState.PAUSED);
        RateLimiter slow = new RateLimiter(Optional.of(TokenBucket.of(1_000_000, Duration.ofMillis(100))), Optional.empty());
        driver.update(h.id(), new VmUpdate(Map.of("root", slow),
                Map.of("eth0", new VmUpdate.NicLimits(RateLimiter.none(), slow))));
        driver.resume(h.id());
        assertThat(api.state()).isEqualTo(FcState.RUNNING);
        VmPhase end = driver.stop(h.id(), Duration.ofSeconds(5));

        assertThat(after(api.received(), "PUT /mmds")).containsExactly("PUT /actions", "PATCH /vm",
                "PATCH /drives/root", "PATCH /network-interfaces/eth0", "PATCH /vm", "PUT /actions");
        assertThat(api.receivedBodies().getLast()).contains("SendCtrlAltDel");
        JsonNode drive = body(api, "PATCH /drives/root").path("rate_limiter");
        assertThat(drive.path("bandwidth").path("size").asLong()).isEqualTo(1_000_000);
        assertThat(drive.path("ops").path("size").asLong()).as("a limit left out is lifted").isZero();
        JsonNode nic = body(api, "PATCH /network-interfaces/eth0");
        assertThat(nic.path("rx_rate_limiter").path("bandwidth").path("size").asLong()).isZero();
        assertThat(nic.path("tx_rate_limiter").path("bandwidth").path("size").asLong()).isEqualTo(1_000_000);
        assertThat(end).isInstanceOfSatisfying(VmPhase.Stopped.class, s -> {
            assertThat(s.exit().cause()).isEqualTo("stopped by kiln (guest shut down)");
            assertThat(s.exit().exitStatus()).contains(0);
        });
        assertThat(api.received()).filteredOn(PRE_BOOT::contains).hasSize(10);
        assertThat(after(api.received(), "PUT /mmds")).noneMatch(PRE_BOOT::contains);
    }

    @Test
    void stopOfAPausedVmResumesItBeforeCtrlAltDel() {
        VmSpec spec = spec("stoppaused");
        VmHandle h = start(spec);
        driver.pause(h.id());

        driver.stop(h.id(), Duration.ofSeconds(5));

        List<String> bodies = launcher.api(spec.id()).receivedBodies();
        assertThat(bodies.subList(bodies.size() - 2, bodies.size()))
                .containsExactly("{\"state\":\"Resumed\"}", "{\"action_type\":\"SendCtrlAltDel\"}");
    }

    @Test
    void aPreBootCallAfterStartIsRefusedByTheDriverAndNeverSent() {
        VmSpec spec = spec("guard");
        start(spec);
        FakeFirecrackerApi api = launcher.api(spec.id());
        int sent = api.received().size();
        try (FirecrackerApiClient client = FirecrackerApiClient.create(api.socket(), Duration.ofSeconds(2))) {
            FcVm vm = new FcVm(null, null, null, client, new VmPhase.Running(java.time.Instant.now()), FcState.RUNNING);

            assertThatThrownBy(() -> vm.send(PutDrive.of("late", tmp.resolve("late.ext4"), false, false)))
                    .isInstanceOfSatisfying(VmmException.class, e -> {
                        assertThat(e.code()).isEqualTo(VmmError.INVALID_PHASE);
                        assertThat(e.getMessage()).contains("PUT /drives/late", "Running");
                    });
            assertThatThrownBy(() -> vm.send(new FcRequest.InstanceStart()))
                    .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_PHASE));
        }
        assertThat(api.received()).hasSize(sent);
    }

    @Test
    void updatesNameOnlyDevicesTheVmHas() {
        VmHandle h = start(spec("unknown"));
        assertThatThrownBy(() -> driver.update(h.id(), new VmUpdate(Map.of("nosuch", RateLimiter.none()), Map.of())))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.getMessage()).contains("no drive 'nosuch'");
                    assertThat(e.hint()).contains("root", "scratch");
                });
    }

    @Test
    void statsSumTheMetricsDeltasOfEveryFlush() {
        launcher.metricsLine("{\"utc_timestamp_ms\":1,\"block_root\":{\"read_bytes\":1000,\"read_count\":2},"
                + "\"net_eth0\":{\"rx_bytes_count\":300,\"tx_bytes_count\":200,\"rx_packets_count\":3,\"tx_packets_count\":2},"
                + "\"some_future_device\":{\"x\":1}}");
        VmHandle h = start(spec("stats"));

        VmStats first = driver.stats(h.id());
        VmStats second = driver.stats(h.id());

        assertThat(first.drives().get("root").readBytes()).isEqualTo(1000);
        assertThat(second.drives().get("root").readBytes()).isEqualTo(2000);
        assertThat(second.drives().get("root").readOps()).isEqualTo(4);
        assertThat(second.nics().get("eth0")).isEqualTo(new VmStats.NicStats(600, 400, 6, 4));
        assertThat(second.cpuTime()).isNotNull();
        assertThat(second.rssBytes()).isPositive();
    }

    @Test
    void aSnapshotIsTakenPausedAndTheVmRunsOnAfterwards() {
        VmSpec spec = spec("snap");
        VmHandle h = start(spec);
        Snapshots snapshots = driver.snapshots().orElseThrow();
        assertThat(driver.capabilities().snapshots()).isTrue();
        SnapshotFiles files = SnapshotFiles.in(tmp.resolve("snapshots/snap"));

        snapshots.createSnapshot(h.id(), files);

        FakeFirecrackerApi api = launcher.api(spec.id());
        assertThat(after(api.received(), "PUT /mmds")).containsExactly("PUT /actions", "PATCH /vm",
                "PUT /snapshot/create", "PATCH /vm");
        JsonNode create = body(api, "PUT /snapshot/create");
        assertThat(create.path("snapshot_path").asText()).isEqualTo(files.state().toString());
        assertThat(create.path("mem_file_path").asText()).isEqualTo(files.memory().toString());
        assertThat(create.path("snapshot_type").asText()).isEqualTo("Full");
        assertThat(driver.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);
        assertThat(api.state()).isEqualTo(FcState.RUNNING);
    }

    @Test
    void aSnapshotLoadsIntoAFreshProcessWithTheClonesTapAndIdentity() throws IOException {
        Files.createDirectories(sysClassNet.resolve("kiln-tap9"));
        SnapshotFiles files = SnapshotFiles.in(tmp.resolve("snapshots/base"));
        FcTestFiles.write(files.state(), "state");
        FcTestFiles.write(files.memory(), "memory");
        VmSpec base = spec("clone");
        VmSpec clone = new VmSpec(base.id(), base.name(), base.vcpus(), base.memory(), base.kernel(), base.initrd(),
                base.bootArgs(), base.drives(),
                List.of(new NicSpec("eth0", "kiln-tap9", "06:00:0a:14:00:09", RateLimiter.none(), RateLimiter.none())),
                base.identity().withAddress("10.20.0.9/24", "10.20.0.1"), GuestChannel.VSOCK);

        VmHandle h = driver.snapshots().orElseThrow().loadSnapshot(clone, tmp.resolve("run/clone"), files);

        FakeFirecrackerApi api = launcher.api(clone.id());
        assertThat(api.received()).containsExactly("GET /", "PUT /logger", "PUT /metrics", "PUT /snapshot/load",
                "PUT /mmds", "PATCH /vm");
        JsonNode load = body(api, "PUT /snapshot/load");
        assertThat(load.path("snapshot_path").asText()).isEqualTo(files.state().toString());
        assertThat(load.path("mem_backend").path("backend_path").asText()).isEqualTo(files.memory().toString());
        assertThat(load.path("resume_vm").asBoolean()).isFalse();
        assertThat(load.path("network_overrides").get(0).path("host_dev_name").asText()).isEqualTo("kiln-tap9");
        assertThat(load.path("vsock_override").path("uds_path").asText()).isEqualTo(h.runDir().resolve("v.sock").toString());
        assertThat(api.mmds().orElseThrow().path("kiln").path("ip").asText()).isEqualTo("10.20.0.9/24");
        assertThat(api.state()).isEqualTo(FcState.RUNNING);
        assertThat(driver.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);
    }

    @Test
    void badInputIsRefusedBeforeAnythingStarts() {
        VmSpec good = spec("badinput");
        Path bz = FcTestFiles.fakeBzImage(tmp.resolve("bzImage"));
        Map<String, ThrowingCallable> bad = new java.util.LinkedHashMap<>();
        bad.put("vCPU count 3 is odd", () -> start(withShape(good, 3, ByteSize.parse("256M"))));
        bad.put("vCPUs must be 1-32", () -> start(withShape(good, 34, ByteSize.parse("256M"))));
        bad.put("below kiln's minimum of 128 MiB", () -> start(withShape(good, 2, ByteSize.parse("64M"))));
        bad.put("is a bzImage where Firecracker needs an uncompressed vmlinux", () -> start(new VmSpec(good.id(),
                good.name(), 2, good.memory(), bz, good.initrd(), "", good.drives(), good.nics(), good.identity(),
                good.channel())));
        bad.put("tap device 'kiln-nosuch' of NIC eth0 does not exist", () -> start(new VmSpec(good.id(), good.name(), 2,
                good.memory(), good.kernel(), good.initrd(), "", good.drives(), List.of(new NicSpec("eth0", "kiln-nosuch",
                        "06:00:0a:14:00:02", RateLimiter.none(), RateLimiter.none())), good.identity(), good.channel())));
        Path deep = tmp.resolve("d".repeat(60)).resolve("e".repeat(60));
        bad.put("Firecracker API socket", () -> driver.start(good, deep));

        bad.forEach((message, call) -> assertThatThrownBy(call).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains(message);
            assertThat(e.hint()).isNotBlank();
        }));
        assertThat(launcher.launches()).isZero();
        assertThat(Files.exists(deep)).isFalse();
        assertThat(tmp.resolve("run")).doesNotExist();
    }

    private static VmSpec withShape(VmSpec s, int vcpus, ByteSize memory) {
        return new VmSpec(s.id(), s.name(), vcpus, memory, s.kernel(), s.initrd(), s.bootArgs(), s.drives(), s.nics(),
                s.identity(), s.channel());
    }

    @Test
    void aJailedVmIsToldPathsInsideItsJailAndDestroyRemovesTheJailAndItsCgroups() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "building a jail chowns files: needs root");
        JailerConfig jc = new JailerConfig(Path.of("/opt/fake/jailer"), 12345, 12345, tmp.resolve("jails"),
                JailSpec.CgroupVersion.V2, tmp.resolve("cgroup"), Optional.empty(),
                Optional.of(ByteSize.ofMebibytes(64)), true, Optional.empty());
        driver = new FirecrackerVmmDriver(config().withJailer(jc), launcher, Clock.systemUTC());
        VmSpec spec = spec("jailed");
        Path cgroup = Files.createDirectories(tmp.resolve("cgroup/firecracker/jailed"));

        VmHandle h = start(spec);

        FakeFirecrackerApi api = launcher.api(spec.id());
        Path root = tmp.resolve("jails/firecracker/jailed/root");
        assertThat(api.socket()).isEqualTo(root.resolve("run/firecracker.socket"));
        assertThat(body(api, "PUT /logger").path("log_path").asText()).isEqualTo("/run/firecracker.log");
        assertThat(body(api, "PUT /boot-source").path("kernel_image_path").asText()).isEqualTo("/vmlinux");
        assertThat(body(api, "PUT /boot-source").path("initrd_path").asText()).isEqualTo("/initrd.img");
        assertThat(body(api, "PUT /drives/scratch").path("path_on_host").asText()).isEqualTo("/drive-scratch.img");
        assertThat(body(api, "PUT /vsock").path("uds_path").asText()).isEqualTo("/run/v.sock");
        assertThat(root.resolve("drive-scratch.img")).exists();
        assertThat(root.resolve("run/firecracker.log")).content().contains("PUT request on \"/drives/root\"");
        assertThat(h.attributes()).containsEntry("jail-dir", tmp.resolve("jails/firecracker/jailed").toString())
                .containsEntry("cgroups.0", cgroup.toString());

        driver.destroy(h.id());

        assertThat(tmp.resolve("jails/firecracker/jailed")).doesNotExist();
        assertThat(cgroup).doesNotExist();
        assertThat(spec.drives().get(1).path()).as("the original disk stays").exists();
    }

    @Test
    void firecrackerThatIsNotInstalledIsACleanError() {
        launcher.uninstall();
        assertThatThrownBy(() -> start(spec("missing"))).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.VMM_NOT_INSTALLED));
        assertThat(launcher.launches()).isZero();
    }
}
