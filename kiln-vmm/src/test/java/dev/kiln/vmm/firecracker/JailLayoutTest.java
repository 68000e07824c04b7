package dev.kiln.vmm.firecracker;

import static dev.kiln.vmm.firecracker.JailerCommandLineTest.assertInvalid;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The jail's paths follow the jailer's documented layout, and host socket paths stay within sun_path. */
class JailLayoutTest {
    static final Path FC = Path.of("/usr/local/bin/firecracker");

    @Test
    void theRootIsBaseThenExecFileNameThenId() {
        JailLayout layout = JailLayout.of(JailSpec.builder("vm-1", FC, 1, 1).build());

        assertThat(layout.jailDir()).isEqualTo(Path.of("/srv/jailer/firecracker/vm-1"));
        assertThat(layout.root()).isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root"));
        assertThat(layout.toRemove()).containsExactly(Path.of("/srv/jailer/firecracker/vm-1"));
        assertThat(layout.pidFileOnHost()).isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root/firecracker.pid"));
    }

    @Test
    void theApiSocketDefaultsToFirecrackersAndIsSeenUnderTheRoot() {
        JailLayout layout = JailLayout.of(JailSpec.builder("vm-1", Path.of("/opt/fc/firecracker-v1.16"), 1, 1)
                .chrootBaseDir(Path.of("/run/kiln/j")).build());

        assertThat(layout.apiSocketInJail()).isEqualTo(Path.of("/run/firecracker.socket"));
        assertThat(layout.apiSocketOnHost())
                .isEqualTo(Path.of("/run/kiln/j/firecracker-v1.16/vm-1/root/run/firecracker.socket"));
    }

    @Test
    void theApiSocketIsReadFromFirecrackersArgsInEitherForm() {
        JailSpec spaced = JailSpec.builder("vm-1", FC, 1, 1).firecrackerArgs("--api-sock", "/api.sock").build();
        JailSpec joined = JailSpec.builder("vm-1", FC, 1, 1).firecrackerArgs("--api-sock=/a/b.sock").build();

        assertThat(JailLayout.of(spaced).apiSocketOnHost())
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root/api.sock"));
        assertThat(JailLayout.of(joined).apiSocketOnHost())
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root/a/b.sock"));
    }

    @Test
    void aHostSocketPathOverTheSunPathLimitIsRefused() {
        Path deep = Path.of("/var/lib/" + "d".repeat(40));
        JailSpec spec = JailSpec.builder("x".repeat(40), FC, 1, 1).chrootBaseDir(deep).build();

        assertInvalid(() -> JailLayout.of(spec).apiSocketOnHost(), "bytes long");
    }

    @Test
    void bootFilesAndDrivesHaveFixedNamesInTheJail() {
        JailLayout layout = JailLayout.of(JailSpec.builder("vm-1", FC, 1, 1).build());

        assertThat(layout.kernelInJail()).isEqualTo(Path.of("/vmlinux"));
        assertThat(layout.initrdInJail()).isEqualTo(Path.of("/initrd.img"));
        assertThat(layout.driveInJail("vdb")).isEqualTo(Path.of("/drive-vdb.img"));
        assertThat(layout.onHost(layout.driveInJail("rootfs")))
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root/drive-rootfs.img"));
        assertThat(layout.onHost(layout.kernelInJail()))
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm-1/root/vmlinux"));
    }

    @Test
    void pathsOutsideTheJailAndBadDriveIdsAreRefused() {
        JailLayout layout = JailLayout.of(JailSpec.builder("vm-1", FC, 1, 1).build());

        assertInvalid(() -> layout.onHost(Path.of("vmlinux")), "not absolute");
        assertInvalid(() -> layout.onHost(Path.of("/../../etc/shadow")), "climbs out");
        assertInvalid(() -> layout.onHost(Path.of("/run/../../x")), "climbs out");
        assertThat(layout.onHost(Path.of("/run/./a.sock"))).isEqualTo(layout.root().resolve("run/a.sock"));
        assertInvalid(() -> layout.driveInJail("../x"), "not a valid Firecracker id");
    }
}
