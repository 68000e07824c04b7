package dev.kiln.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmCgroups;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The jail's pure parts: limits from the spec, the command around QEMU. */
class QemuJailUnitTest {
    private static VmSpec spec(int vcpus, String memory) {
        return new VmSpec(new VmId("vm1"), "vm1", vcpus, ByteSize.parse(memory), Path.of("/k"), Optional.empty(), "",
                List.of(), List.of());
    }

    @Test
    void limitsFollowTheSpec() {
        assertThat(QemuJail.limits(spec(2, "512M"), Accelerator.KVM))
                .isEqualTo(new VmCgroups.Limits((512L << 20) + (256L << 20), 136, 3.0, 2));
        assertThat(QemuJail.limits(spec(1, "128M"), Accelerator.TCG))
                .as("TCG adds its translation cache")
                .isEqualTo(new VmCgroups.Limits((128L << 20) + (256L << 20) + (1L << 30), 132, 2.0, 1));
    }

    @Test
    void theShellJoinsEveryGroupThenBecomesQemu() {
        var jail = new QemuJail.Jail(1_800_000_007L, Path.of("/run/vm/jail"), "vm1",
                List.of(Path.of("/sys/fs/cgroup/memory/kiln/vm1/cgroup.procs"),
                        Path.of("/sys/fs/cgroup/pids/kiln/vm1/cgroup.procs")));
        VmSpec spec = new VmSpec(new VmId("vm1"), "vm1", 1, ByteSize.parse("128M"), Path.of("/k"), Optional.empty(), "",
                List.of(dev.kiln.vmm.DriveSpec.of("root", Path.of("/img/root fs.ext4"), true),
                        dev.kiln.vmm.DriveSpec.of("vdb", Path.of("/run/vm/scratch.ext4"), false)), List.of());
        assertThat(jail.prefix(spec)).containsExactly("/bin/bash", "-c",
                "echo $$ > '/sys/fs/cgroup/memory/kiln/vm1/cgroup.procs' && "
                        + "echo $$ > '/sys/fs/cgroup/pids/kiln/vm1/cgroup.procs' && exec \"$@\""
                        + " 10<'/img/root fs.ext4' 11<>'/run/vm/scratch.ext4' 12<'/run/vm/scratch.ext4'", "kiln-jail");
        List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"), Accelerator.TCG,
                Optional.empty(), spec, Path.of("/run/vm"), QemuJail.Jail.driveFds(spec));
        assertThat(String.join(" ", args)).contains(
                "-add-fd fd=10,set=1 -drive id=root,file=/dev/fdset/1,format=raw,if=none,readonly=on,file.locking=off",
                "-add-fd fd=11,set=2 -add-fd fd=12,set=2 -drive id=vdb,file=/dev/fdset/2,format=raw,if=none,readonly=off,file.locking=off");
        assertThat(jail.qemuArgs()).containsExactly("-runas", "1800000007:1800000007", "-chroot", "/run/vm/jail",
                "-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny");
        assertThat(jail.inside(Path.of("/run/vm/jail/migrate.sock"))).isEqualTo("/migrate.sock");
    }

    @Test
    void withoutCgroupsNothingPrecedesQemu() {
        assertThat(new QemuJail.Jail(1, Path.of("/j"), "vm1", List.of()).prefix(spec(1, "128M"))).isEmpty();
    }
}
