package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.JailSpec.CgroupVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A VM's jail: its id, its API socket, its limits from the VM's size, its network namespace and its cgroups. */
class JailerConfigTest {
    private static final Path FC = Path.of("/usr/local/bin/firecracker");
    private static final Path JAILER = Path.of("/usr/local/bin/jailer");
    private static final VmSpec SPEC = new VmSpec(new VmId("vm-7f3a"), "web", 2, ByteSize.parse("512M"),
            Path.of("/images/vmlinux"), Optional.empty(), "", List.of(), List.of());

    @Test
    void aJailIsNamedAfterTheVmAndLimitsItUnderCgroupV2() {
        JailerConfig jc = JailerConfig.of(JAILER, 10000, 10001);

        JailSpec jail = jc.jailFor(FC, SPEC);

        assertThat(jail.id()).isEqualTo("vm-7f3a");
        assertThat(jail.uid()).isEqualTo(10000);
        assertThat(jail.gid()).isEqualTo(10001);
        assertThat(jail.firecrackerArgs()).containsExactly("--api-sock", "/run/firecracker.socket");
        assertThat(jail.cgroups()).containsExactly(
                java.util.Map.entry("memory.max", Long.toString((512L + 64) << 20)),
                java.util.Map.entry("cpu.max", "200000 100000"));
        assertThat(JailLayout.of(jail).apiSocketOnHost())
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm-7f3a/root/run/firecracker.socket"));
        assertThat(jc.cgroupDirs(jail)).containsExactly(Path.of("/sys/fs/cgroup/firecracker/vm-7f3a"));
    }

    @Test
    void cgroupV1UsesItsOwnFilesAndOneDirectoryPerController() {
        JailerConfig jc = new JailerConfig(JAILER, 10000, 10000, Path.of("/srv/jailer"), CgroupVersion.V1,
                Path.of("/sys/fs/cgroup"), Optional.of("kiln"), Optional.of(ByteSize.ofMebibytes(32)), true,
                Optional.of(Path.of("/var/run/netns")));

        JailSpec jail = jc.jailFor(FC, SPEC);

        assertThat(jail.cgroups()).containsOnlyKeys("memory.limit_in_bytes", "cpu.cfs_period_us", "cpu.cfs_quota_us");
        assertThat(jail.cgroups().get("cpu.cfs_quota_us")).isEqualTo("200000");
        assertThat(jail.netnsPath()).contains("/var/run/netns/vm-7f3a");
        assertThat(jail.parentCgroup()).contains("kiln");
        assertThat(jc.cgroupDirs(jail)).containsExactly(Path.of("/sys/fs/cgroup/memory/kiln/vm-7f3a"),
                Path.of("/sys/fs/cgroup/cpu/kiln/vm-7f3a"));
        assertThat(JailerCommandLine.arguments(jail)).containsSubsequence("--netns", "/var/run/netns/vm-7f3a",
                "--cgroup-version", "1");
    }

    @Test
    void limitsCanBeLeftOff() {
        assertThat(JailerConfig.of(JAILER, 10000, 10000).withoutLimits().jailFor(FC, SPEC).cgroups()).isEmpty();
    }

    @Test
    void rootAndRelativeBinariesAreRefused() {
        assertThatThrownBy(() -> JailerConfig.of(JAILER, 0, 10000)).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC));
        assertThatThrownBy(() -> JailerConfig.of(Path.of("jailer"), 10000, 10000)).isInstanceOf(VmmException.class);
        assertThatThrownBy(() -> FirecrackerConfig.of(Path.of("/opt/fc/vmm"))
                .withJailer(JailerConfig.of(JAILER, 10000, 10000)))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.getMessage()).contains("'firecracker'"));
    }
}
