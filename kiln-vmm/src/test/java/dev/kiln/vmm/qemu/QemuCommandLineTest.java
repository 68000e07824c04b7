package dev.kiln.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final Path RUN = Path.of("/var/lib/kiln/vms/web-1");
    private static final TokenBucket ONE_MIB_PER_SECOND = new TokenBucket(1 << 20, 0, Duration.ofSeconds(1));

    private static VmSpec spec(List<DriveSpec> drives, List<NicSpec> nics) {
        return new VmSpec(new VmId("web-1"), "web", 2, ByteSize.parse("256M"), Path.of("/images/vmlinuz"),
                Optional.of(Path.of("/images/initrd.img")), "kiln.id=web-1", drives, nics);
    }

    private static VmSpec spec() {
        return spec(List.of(DriveSpec.of("root", Path.of("/images/rootfs.ext4"), true)), List.of());
    }

    private static List<String> tcg(VmSpec spec) {
        return QemuCommandLine.build(QEMU, Accelerator.TCG, Optional.of(2_400_000L), spec, RUN);
    }

    /** The values that follow each occurrence of {@code option}. */
    private static List<String> values(List<String> args, String option) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals(option)) out.add(args.get(i + 1));
        }
        return out;
    }

    private static String value(List<String> args, String option) {
        assertThat(values(args, option)).as(option).hasSize(1);
        return values(args, option).getFirst();
    }

    @Test
    void runsAnAcpiMicrovmLabelledWithItsId() {
        List<String> args = tcg(spec());
        assertThat(args.getFirst()).isEqualTo(QEMU.toString());
        assertThat(value(args, "-machine")).isEqualTo("microvm,acpi=on");
        assertThat(value(args, "-name")).isEqualTo(QemuCommandLine.LABEL_PREFIX + "web-1");
        assertThat(value(args, "-m")).isEqualTo("256M");
        assertThat(value(args, "-smp")).isEqualTo("2");
        assertThat(value(args, "-kernel")).isEqualTo("/images/vmlinuz");
        assertThat(value(args, "-initrd")).isEqualTo("/images/initrd.img");
        assertThat(args).contains("-nodefaults", "-no-user-config", "-no-reboot");
    }

    @Test
    void tcgTellsTheGuestItsTscRateAndSkipsTheTimerCheck() {
        List<String> args = tcg(spec());
        assertThat(value(args, "-accel")).isEqualTo("tcg");
        assertThat(value(args, "-cpu")).as("every feature TCG emulates: numpy needs more than qemu64").isEqualTo("max");
        assertThat(value(args, "-append"))
                .startsWith("console=ttyS0 ")
                .contains(" tsc_early_khz=2400000", " no_timer_check", " tsc=reliable")
                .endsWith(" kiln.id=web-1");

        List<String> unknownTsc = QemuCommandLine.build(QEMU, Accelerator.TCG, Optional.empty(), spec(), RUN);
        assertThat(value(unknownTsc, "-append")).doesNotContain("tsc_early_khz").contains("no_timer_check");
    }

    @Test
    void kvmPassesTheHostCpuAndNoTimerWorkarounds() {
        List<String> args = QemuCommandLine.build(QEMU, Accelerator.KVM, Optional.of(2_400_000L), spec(), RUN);
        assertThat(value(args, "-accel")).isEqualTo("kvm");
        assertThat(value(args, "-cpu")).isEqualTo("host");
        assertThat(value(args, "-append")).doesNotContain("tsc_early_khz", "no_timer_check");
    }

    @Test
    void consoleGoesToAFileAndQmpToAUnixSocketInTheRunDir() {
        List<String> args = tcg(spec());
        assertThat(value(args, "-chardev")).isEqualTo("file,id=console,path=/var/lib/kiln/vms/web-1/console.log");
        assertThat(value(args, "-serial")).isEqualTo("chardev:console");
        assertThat(value(args, "-qmp")).isEqualTo("unix:/var/lib/kiln/vms/web-1/qmp.sock,server=on,wait=off");
    }

    @Test
    void aRunDirWithACommaIsEscapedInEveryOption() {
        List<String> args = QemuCommandLine.build(QEMU, Accelerator.TCG, Optional.empty(), spec(), Path.of("/srv/a,b"));
        assertThat(value(args, "-chardev")).isEqualTo("file,id=console,path=/srv/a,,b/console.log");
        assertThat(value(args, "-qmp")).isEqualTo("unix:/srv/a,,b/qmp.sock,server=on,wait=off");
    }

    @Test
    void drivesAreVirtioBlockDevicesInSpecOrder() {
        List<String> args = tcg(spec(List.of(
                DriveSpec.of("root", Path.of("/images/rootfs.ext4"), true),
                DriveSpec.of("data", Path.of("/vols/data.img"), false)), List.of()));
        assertThat(values(args, "-drive")).containsExactly(
                "id=root,file=/images/rootfs.ext4,format=raw,if=none,readonly=on",
                "id=data,file=/vols/data.img,format=raw,if=none,readonly=off");
        assertThat(values(args, "-device")).containsExactly(
                "virtio-blk-device,drive=root", "virtio-blk-device,drive=data");
    }

    @Test
    void aDrivePathWithACommaIsEscapedByDoublingIt() {
        List<String> args = tcg(spec(List.of(DriveSpec.of("root", Path.of("/images/a,b/root,fs.ext4"), true)), List.of()));
        assertThat(value(args, "-drive")).contains(",file=/images/a,,b/root,,fs.ext4,format=raw");
    }

    @Test
    void bandwidthBucketBecomesATotalBytesPerSecondLimit() {
        DriveSpec d = new DriveSpec("data", Path.of("/vols/data.img"), false, RateLimiter.bandwidth(ONE_MIB_PER_SECOND));
        assertThat(value(tcg(spec(List.of(d), List.of())), "-drive"))
                .endsWith(",readonly=off,throttling.bps-total=1048576")
                .doesNotContain("bps-total-max");
    }

    @Test
    void oneTimeBurstBecomesAOneSecondAllowanceAboveTheRate() {
        TokenBucket burst = new TokenBucket(1 << 20, 4 << 20, Duration.ofSeconds(1));
        DriveSpec d = new DriveSpec("data", Path.of("/vols/data.img"), false, RateLimiter.bandwidth(burst));
        assertThat(value(tcg(spec(List.of(d), List.of())), "-drive")).endsWith(
                ",throttling.bps-total=1048576,throttling.bps-total-max=5242880,throttling.bps-total-max-length=1");
    }

    @Test
    void opsBucketBecomesATotalIopsLimitAtItsRatePerSecond() {
        // 500 ops refilled every 500 ms is 1000 ops/s
        TokenBucket ops = new TokenBucket(500, 0, Duration.ofMillis(500));
        DriveSpec d = new DriveSpec("data", Path.of("/vols/data.img"), false,
                new RateLimiter(Optional.of(ONE_MIB_PER_SECOND), Optional.of(ops)));
        assertThat(value(tcg(spec(List.of(d), List.of())), "-drive"))
                .endsWith(",throttling.bps-total=1048576,throttling.iops-total=1000");
    }

    @Test
    void aDisabledBucketAddsNoThrottling() {
        TokenBucket off = new TokenBucket(0, 100, Duration.ofSeconds(1));
        DriveSpec d = new DriveSpec("data", Path.of("/vols/data.img"), false, new RateLimiter(Optional.of(off), Optional.empty()));
        assertThat(value(tcg(spec(List.of(d), List.of())), "-drive")).doesNotContain("throttling");
    }

    @Test
    void aNicIsATapWithoutScriptsAndAVirtioNetDevice() {
        NicSpec nic = new NicSpec("net0", "ktap-1a2b3c4d", "06:00:ac:10:00:02", RateLimiter.none(), RateLimiter.none());
        List<String> args = tcg(spec(List.of(DriveSpec.of("root", Path.of("/images/rootfs.ext4"), true)), List.of(nic)));
        assertThat(value(args, "-netdev")).isEqualTo("tap,id=net0,ifname=ktap-1a2b3c4d,script=no,downscript=no");
        assertThat(values(args, "-device")).containsExactly(
                "virtio-blk-device,drive=root", "virtio-net-device,netdev=net0,mac=06:00:ac:10:00:02");
    }

    @Test
    void noNicMeansNoNetdev() {
        assertThat(tcg(spec())).doesNotContain("-netdev");
    }

    @Test
    void hugePagesBackTheGuestMemoryWithAFileOnTheRunDirectorysHugetlbfs() {
        List<String> args = tcg(spec().withHugePages(true));
        assertThat(value(args, "-machine")).isEqualTo("microvm,acpi=on,memory-backend=mem");
        assertThat(value(args, "-object"))
                .isEqualTo("memory-backend-file,id=mem,size=256M,mem-path=/var/lib/kiln/vms/web-1/hugepages,prealloc=on");
        assertThat(value(args, "-m")).isEqualTo("256M");
        assertThat(values(tcg(spec()), "-object")).isEmpty();
    }
}
