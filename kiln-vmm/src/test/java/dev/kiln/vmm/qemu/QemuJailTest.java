package dev.kiln.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.guest.ProgressListener;
import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.Snapshots;
import dev.kiln.vmm.VmCgroups;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A jailed QEMU (the default) against the real thing: one booted VM shared by the checks, under TCG. The same
 * probe against an unjailed QEMU shows each check can fail.
 */
@Tag("vm")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuJailTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final Path IMAGE_CACHE = Path.of("/var/tmp/kiln-test-images");
    private static final AcceleratorChoice TCG = new AcceleratorChoice(Accelerator.TCG, "test", Instant.now());

    @TempDir
    static Path tmp;
    private static GuestImage image;
    private static QemuVmmDriver driver;
    private static VmSpec spec;
    private static VmHandle vm;

    @BeforeAll
    static void bootOneJailedVm() {
        assumeTrue(Files.isExecutable(QEMU), QEMU + " is not installed: skipping the QEMU jail tests");
        image = GuestImageBuilder.create(IMAGE_CACHE).ensure(GuestImageOptions.defaults(), ProgressListener.silent());
        driver = (QemuVmmDriver) QemuDriver.create(QemuConfig.of(QEMU, TCG).withJail(JailPolicy.on()));
        // with a writable disk: a live migration makes QEMU reopen it read-only, which a chrooted QEMU can only do
        // from the descriptors it inherited
        Path scratch = tmp.resolve("scratch.img");
        try (var f = new java.io.RandomAccessFile(scratch.toFile(), "rw")) {
            f.setLength(16L << 20);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        VmSpec plain = spec("jailed", 2, "320M");
        spec = new VmSpec(plain.id(), plain.name(), plain.vcpus(), plain.memory(), plain.kernel(), plain.initrd(),
                plain.bootArgs(), List.of(plain.drives().get(0), DriveSpec.of("scratch", scratch, false)), List.of());
        vm = driver.start(spec, tmp.resolve("jailed"));
        ConsoleReadiness.Outcome outcome = ConsoleReadiness.await(vm.consoleLog(),
                GuestProtocol.READY_MARKER + " id=" + vm.id() + " ", GuestProtocol.FAILED_MARKER,
                Duration.ofSeconds(90), driver.await(vm.id()));
        assertThat(outcome).as("boot of the jailed VM; console:%n%s%nVMM log:%n%s", ProcStat.tail(vm.consoleLog(), 30),
                ProcStat.tail(vm.vmmLog(), 30)).isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
    }

    @AfterAll
    static void endEverything() {
        if (driver != null) {
            for (VmId id : List.of(vm.id())) {
                try {
                    driver.destroy(id);
                } catch (VmmException e) {
                    // already gone
                }
            }
            driver.close();
        }
    }

    private static VmSpec spec(String name, int vcpus, String memory) {
        VmId id = new VmId(name + "-" + VmId.random().value().substring(0, 6));
        return new VmSpec(id, name, vcpus, ByteSize.parse(memory), image.kernel(), Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_ID, id.value()),
                List.of(DriveSpec.of("root", image.rootfs(), true)), List.of());
    }

    private static String status(long pid, String key) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith(key + ":")).map(l -> l.substring(key.length() + 1).trim())
                .findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void theVmmRunsAsAnUnprivilegedUserOfItsOwnUnderSeccompWithNoCapabilities() throws IOException {
        long pid = vm.pid();
        long uid = ((Number) Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid")).longValue();

        assertThat(uid).isNotZero().isBetween(JailPolicy.DEFAULT_UID_BASE,
                JailPolicy.DEFAULT_UID_BASE + JailPolicy.DEFAULT_UID_COUNT - 1);
        assertThat(vm.attributes()).containsEntry("jail.uid", Long.toString(uid));
        assertThat(status(pid, "Uid").split("\\s+")).as("real, effective, saved, fs uid").containsOnly(Long.toString(uid));
        assertThat(status(pid, "Gid").split("\\s+")).containsOnly(Long.toString(uid));
        assertThat(status(pid, "Groups")).isEqualTo(Long.toString(uid));
        assertThat(status(pid, "CapEff")).isEqualTo("0000000000000000");
        assertThat(status(pid, "CapPrm")).isEqualTo("0000000000000000");
        assertThat(status(pid, "NoNewPrivs")).isEqualTo("1");
        assertThat(status(pid, "Seccomp")).as("2: a seccomp filter").isEqualTo("2");
        assertThat(ProcStat.cmdline(pid)).hasValueSatisfying(c -> assertThat(c)
                .contains("-sandbox " + QemuJail.SANDBOX, QemuCommandLine.LABEL_PREFIX + vm.id()));
    }

    @Test
    @Order(2)
    void theVmmIsChrootedIntoAnEmptyDirectoryAndCannotOpenAHostFile() throws IOException {
        Path root = Files.readSymbolicLink(Path.of("/proc", Long.toString(vm.pid()), "root"));
        assertThat(root).isEqualTo(vm.runDir().resolve("jail"));
        try (Stream<Path> inside = Files.list(root)) {
            assertThat(inside).isEmpty();
        }

        assertThatThrownBy(() -> driver.qmp(vm.id(), "blockdev-add", Map.of("driver", "file",
                "filename", "/etc/hostname", "node-name", "probe", "read-only", true)))
                .isInstanceOf(VmmException.class).hasMessageContaining("/etc/hostname");
    }

    @Test
    @Order(3)
    void anUnjailedVmmCanOpenTheSameHostFile() throws IOException {
        QemuVmmDriver loose = (QemuVmmDriver) QemuDriver.create(QemuConfig.of(QEMU, TCG).withJail(JailPolicy.off()));
        VmSpec s = spec("loose", 1, "128M");
        VmHandle h = loose.start(s, tmp.resolve("loose"));
        try {
            assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "root"))).isEqualTo(Path.of("/"));
            assertThat(Files.getAttribute(Path.of("/proc", Long.toString(h.pid())), "unix:uid")).isEqualTo(0);
            loose.qmp(h.id(), "blockdev-add", Map.of("driver", "file", "filename", "/etc/hostname",
                    "node-name", "probe", "read-only", true));
            assertThat(h.attributes()).doesNotContainKey("jail.uid");
        } finally {
            loose.destroy(h.id());
            loose.close();
        }
    }

    @Test
    @Order(4)
    void theVmmIsInItsOwnCgroupsWithTheSpecsLimits() throws IOException {
        VmCgroups cgroups = VmCgroups.detect().orElse(null);
        assumeTrue(cgroups != null, "no writable memory, pids and cpu cgroup controllers on this host");
        List<String> membership = Files.readAllLines(Path.of("/proc", Long.toString(vm.pid()), "cgroup"));
        String group = "/" + VmCgroups.PARENT + "/" + vm.id();
        if (cgroups.isV2()) {
            assertThat(membership).contains("0::" + group);
        } else {
            for (String controller : List.of("memory", "pids", "cpu")) {
                assertThat(membership).as("%s membership", controller)
                        .anyMatch(l -> l.matches("\\d+:([a-z_,]*,)?" + controller + "(,[a-z_,]*)?:" + group));
            }
        }
        VmCgroups.Limits expected = new VmCgroups.Limits(
                (320L << 20) + QemuJail.OVERHEAD_BYTES + QemuJail.TCG_CACHE_BYTES, 128 + 4 * 2, 3.0, 2);
        assertThat(cgroups.read(vm.id().value())).contains(expected);
        // the group weighs as two processes (one per vCPU), and kiln's parent at least as much (other VMs may be
        // running)
        Path parent = cgroups.isV2() ? Path.of("/sys/fs/cgroup", VmCgroups.PARENT)
                : Path.of("/sys/fs/cgroup/cpu", VmCgroups.PARENT);
        String file = cgroups.isV2() ? "cpu.weight" : "cpu.shares";
        long unit = cgroups.isV2() ? 100 : 1024;
        assertThat(Long.parseLong(Files.readString(parent.resolve(vm.id().value()).resolve(file)).trim()))
                .isEqualTo(2 * unit);
        assertThat(Long.parseLong(Files.readString(parent.resolve(file)).trim())).isGreaterThanOrEqualTo(2 * unit);
        assertThat(cgroups.processes(vm.id().value())).containsExactly(vm.pid());
    }

    @Test
    @Order(5)
    void theVmmInheritedNoFileDescriptorsButItsOwn() throws IOException {
        List<String> unexpected = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(vm.pid()), "fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed while we looked
                }
                boolean ok = target.startsWith("socket:") || target.startsWith("anon_inode:")
                        || target.startsWith("pipe:") || target.equals("/dev/null") || target.equals("/dev/net/tun")
                        || target.equals("/dev/kvm") || target.startsWith(vm.runDir().toString())
                        || target.equals(image.rootfs().toString()) || target.equals(tmp.resolve("scratch.img").toString());
                if (!ok) unexpected.add(fd.getFileName() + " -> " + target);
            }
        }
        assertThat(unexpected).isEmpty();
    }

    @Test
    @Order(6)
    void aJailedVmIsSnapshottedAndRestoredIntoAnotherJail() throws Exception {
        Snapshots.SnapshotFiles files = new Snapshots.SnapshotFiles(tmp.resolve("snap/state.json"), tmp.resolve("snap/memory"));
        driver.snapshots().orElseThrow().createSnapshot(vm.id(), files);
        assertThat(Files.size(files.memory())).as("the memory stream").isGreaterThan(8L << 20);
        assertThat(driver.inspect(vm.id()).phase()).isInstanceOf(VmPhase.Running.class);
        assertThat(vm.runDir().resolve("jail/migrate.sock")).doesNotExist();
        // the live migration that leaves the VM paused (function templates take these)
        Snapshots.SnapshotFiles live = new Snapshots.SnapshotFiles(tmp.resolve("live/state.json"), tmp.resolve("live/memory"));
        try {
            driver.snapshots().orElseThrow().createSnapshotAndPause(vm.id(), live);
        } catch (VmmException e) {
            throw new AssertionError(e.getMessage() + "\n--- vmm.log ---\n" + ProcStat.tail(vm.vmmLog(), 30), e);
        }
        assertThat(Files.size(live.memory())).isGreaterThan(8L << 20);
        driver.resume(vm.id());

        VmSpec copy = new VmSpec(new VmId("restored-" + VmId.random().value().substring(0, 6)), "restored",
                spec.vcpus(), spec.memory(), spec.kernel(), spec.initrd(), spec.bootArgs(), spec.drives(), spec.nics());
        VmHandle restored = driver.snapshots().orElseThrow().loadSnapshot(copy, tmp.resolve("restored"), files);
        try {
            assertThat(driver.qmp(restored.id(), "query-status", Map.of()).path("status").asText()).isEqualTo("running");
            assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(restored.pid()), "root")))
                    .isEqualTo(restored.runDir().resolve("jail"));
            assertThat(restored.attributes().get("jail.uid")).isNotEqualTo(vm.attributes().get("jail.uid"));
            assertThat(restored.runDir().resolve("incoming.sock")).doesNotExist();
        } finally {
            driver.destroy(restored.id());
        }
    }

    @Test
    @Order(7)
    void whenTheVmEndsItsJailAndCgroupsAreGone() {
        driver.kill(vm.id());
        driver.destroy(vm.id());
        assertThat(vm.runDir().resolve("jail")).doesNotExist();
        VmCgroups.detect().ifPresent(c -> c.dirs(vm.id().value()).forEach(d -> assertThat(d).doesNotExist()));
        assertThat(ProcStat.isAlive(vm.pid())).isFalse();
    }
}
