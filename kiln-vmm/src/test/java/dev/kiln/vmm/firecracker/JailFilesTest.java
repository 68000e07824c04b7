package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.JailFiles.Placement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files placed in a jail: linked, copied across file systems, chowned only where needed, and removed with it. */
class JailFilesTest {
    @TempDir
    Path tmp;

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Test
    void aFileOnAnotherFileSystemIsCopied() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)),
                "needs /dev/shm on another file system than " + tmp);
        Path source = Files.createTempFile(shm, "kiln-jail-test", ".img");
        try {
            Files.writeString(source, "elsewhere");
            Path target = tmp.resolve("root/drive-x.img");

            Placement how = JailFiles.place(source, target, false, 12345, 12345);

            assertThat(how).isEqualTo(Placement.COPIED);
            assertThat(target).hasContent("elsewhere");
        } finally {
            Files.deleteIfExists(source);
        }
    }

    @Test
    void aFileOnTheSameFileSystemIsLinked() throws IOException {
        Path source = Files.writeString(tmp.resolve("vmlinux"), "kernel");

        assertThat(JailFiles.place(source, tmp.resolve("root/vmlinux"), false, 12345, 12345))
                .isEqualTo(Placement.LINKED);
        assertThat(Files.isSameFile(source, tmp.resolve("root/vmlinux"))).isTrue();
    }

    @Test
    void aReadOnlyFileOthersCannotReadIsGivenToTheJail() throws IOException {
        assumeTrue(root(), "chown needs root");
        Path source = Files.writeString(tmp.resolve("private.img"), "secret");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-------"));

        JailFiles.place(source, tmp.resolve("root/drive-p.img"), false, 12345, 12346);

        assertThat(Files.getAttribute(tmp.resolve("root/drive-p.img"), "unix:uid")).isEqualTo(12345);
    }

    @Test
    void aMissingSourceIsAnErrorNotACopy() {
        assertThatThrownBy(() -> JailFiles.place(tmp.resolve("nope"), tmp.resolve("root/x"), false, 1, 1))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void anExistingJailIsNotReused() throws IOException {
        Path kernel = FcTestFiles.fakeVmlinux(tmp.resolve("vmlinux"));
        VmSpec spec = new VmSpec(new VmId("taken"), "taken", 1, ByteSize.parse("128M"), kernel, Optional.empty(), "",
                List.of(), List.of());
        JailerConfig jc = JailerConfig.of(Path.of("/usr/local/bin/jailer"), 12345, 12345).withChrootBaseDir(tmp);
        JailSpec jail = jc.jailFor(Path.of("/usr/local/bin/firecracker"), spec);
        FcLayout.Jailed layout = (FcLayout.Jailed) FcLayout.of(tmp.resolve("run"), Optional.of(jail));
        Files.createDirectories(layout.layout().jailDir());

        assertThatThrownBy(() -> JailFiles.prepare(layout, spec)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains("already exists");
        });
    }

    @Test
    void removeTakesTheJailAndTheJailersCgroups() throws IOException {
        Path jail = Files.createDirectories(tmp.resolve("jails/firecracker/vm1/root/run"));
        Files.writeString(jail.resolve("firecracker.log"), "log");
        Path cgroup = Files.createDirectories(tmp.resolve("cgroup/firecracker/vm1"));

        JailFiles.remove(tmp.resolve("jails/firecracker/vm1"), List.of(cgroup, tmp.resolve("cgroup/gone")));

        assertThat(tmp.resolve("jails/firecracker/vm1")).doesNotExist();
        assertThat(cgroup).doesNotExist();
        assertThat(tmp.resolve("jails/firecracker")).exists();
    }
}
