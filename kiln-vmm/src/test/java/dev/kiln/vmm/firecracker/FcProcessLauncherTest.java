package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher with shell scripts in place of {@code firecracker} and {@code jailer}: the command lines, the
 * redirections, the session, the jail's files, re-finding a process, and a start that fails with what it said.
 */
class FcProcessLauncherTest {
    private static final String SLEEPER = "while :; do sleep 0.2; done";

    @TempDir
    Path tmp;

    private FcProcess started;

    @AfterEach
    void endProcess() throws Exception {
        if (started != null) {
            started.kill();
            started.exit().get(5, TimeUnit.SECONDS);
        }
    }

    /** A script that records its arguments, prints on both streams, then runs {@code body}. */
    private Path script(String name, String body) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path script = bin.resolve(name);
        Files.writeString(script, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\necho \"console of " + name
                + "\"\necho \"stderr of " + name + "\" >&2\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private VmSpec spec(String id, List<DriveSpec> drives) {
        Path kernel = FcTestFiles.fakeVmlinux(tmp.resolve("images/vmlinux"));
        return new VmSpec(new VmId(id), id, 1, ByteSize.parse("128M"), kernel, Optional.empty(), "", drives, List.of());
    }

    private static long session(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }

    @Test
    void firecrackerRunsDirectlyInItsOwnSessionWithItsOutputInTheRunDirectory() throws Exception {
        Path fc = script("firecracker", SLEEPER);
        FcProcessLauncher launcher = new FcProcessLauncher(FirecrackerConfig.of(fc));
        Path run = Files.createDirectories(tmp.resolve("run/direct"));
        FcLayout layout = new FcLayout.Direct(run);

        started = launcher.launch(spec("direct", List.of()), layout);

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(fc.resolveSibling("firecracker.args"))
                && Files.readString(layout.stderrLog()).contains("stderr of"));
        assertThat(Files.readAllLines(fc.resolveSibling("firecracker.args")))
                .containsExactly("--api-sock", run.resolve("api.sock").toString(), "--id", "direct");
        assertThat(Files.readString(layout.consoleLog())).contains("console of firecracker");
        assertThat(Files.readString(layout.stderrLog())).contains("stderr of firecracker");
        assertThat(session(started.pid())).as("setsid: a session of its own").isEqualTo(started.pid());
        assertThat(started.startTicks()).isEqualTo(ProcStat.startTicks(started.pid()).orElseThrow());

        started.kill();
        assertThat(started.exit().get(5, TimeUnit.SECONDS)).contains(128 + 9);
    }

    @Test
    void aRunningFirecrackerIsReFoundByPidStartTimeAndId() throws Exception {
        Path fc = script("firecracker", SLEEPER);
        FcProcessLauncher launcher = new FcProcessLauncher(FirecrackerConfig.of(fc));
        Path run = Files.createDirectories(tmp.resolve("run/refind"));
        started = launcher.launch(spec("refind", List.of()), new FcLayout.Direct(run));
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcStat.cmdline(started.pid()).orElse("").contains("--id refind"));
        VmHandle h = new VmHandle(new VmId("refind"), "firecracker", started.pid(), started.startTicks(), run, "kvm",
                Instant.now(), Map.of());

        Optional<FcProcess> found = launcher.attach(h);
        assertThat(found).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
        assertThat(launcher.attach(new VmHandle(h.id(), h.driver(), h.pid(), h.processStartTicks() + 1, run, "kvm",
                h.startedAt(), Map.of()))).as("another start time: a reused pid").isEmpty();
        assertThat(launcher.attach(new VmHandle(new VmId("other"), h.driver(), h.pid(), h.processStartTicks(), run,
                "kvm", h.startedAt(), Map.of()))).as("another VM's id").isEmpty();

        started.kill();
        assertThat(found.orElseThrow().exit().get(5, TimeUnit.SECONDS)).as("status unknown to a non-parent").isEmpty();
    }

    @Test
    void aMissingBinaryIsNotInstalled() {
        FcProcessLauncher launcher = new FcProcessLauncher(FirecrackerConfig.of(tmp.resolve("nowhere/firecracker")));

        assertThatThrownBy(launcher::checkInstalled).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.VMM_NOT_INSTALLED);
            assertThat(e.getMessage()).contains("nowhere/firecracker");
            assertThat(e.hint()).contains("releases");
        });
    }

    @Test
    void aFirecrackerThatDiesAtStartFailsTheStartWithItsStderr() throws IOException {
        Path fc = script("firecracker", "echo 'Error: Invalid kernel image' >&2; exit 1");
        var driver = new FirecrackerVmmDriver(FirecrackerConfig.of(fc), new FcProcessLauncher(FirecrackerConfig.of(fc)),
                Clock.systemUTC());
        VmSpec spec = spec("dies", List.of());

        assertThatThrownBy(() -> driver.start(spec, tmp.resolve("run/dies"))).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED);
            assertThat(e.getMessage()).contains("exited before its API answered", "exited with status 1",
                    "--- vmm.log", "Error: Invalid kernel image");
        });
        driver.close();
    }

    @Test
    void theJailerGetsItsCommandLineAndAPreparedJailWhichGoesWithTheVm() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "building a jail chowns files: needs root");
        Path fc = script("firecracker", "exit 0");
        Path jailer = script("jailer", SLEEPER);
        JailerConfig jc = JailerConfig.of(jailer, 12345, 12346).withChrootBaseDir(tmp.resolve("jails"));
        FirecrackerConfig config = FirecrackerConfig.of(fc).withJailer(jc);
        Path shared = FcTestFiles.write(tmp.resolve("images/rootfs.ext4"), "root");
        Path scratch = FcTestFiles.write(tmp.resolve("images/scratch.ext4"), "scratch");
        VmSpec spec = spec("jailed", List.of(DriveSpec.of("root", shared, true), DriveSpec.of("scratch", scratch, false)));
        JailSpec jail = jc.jailFor(fc, spec);
        FcLayout.Jailed layout = (FcLayout.Jailed) FcLayout.of(Files.createDirectories(tmp.resolve("run/jailed")),
                Optional.of(jail));

        started = new FcProcessLauncher(config).launch(spec, layout);

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(jailer.resolveSibling("jailer.args")));
        assertThat(Files.readAllLines(jailer.resolveSibling("jailer.args")))
                .containsExactlyElementsOf(JailerCommandLine.arguments(jail));
        Path root = layout.layout().root();
        assertThat(root).isEqualTo(tmp.resolve("jails/firecracker/jailed/root"));
        assertThat(inode(root.resolve("vmlinux"))).as("hard-linked").isEqualTo(inode(spec.kernel()));
        assertThat(inode(root.resolve("drive-root.img"))).isEqualTo(inode(shared));
        assertThat(owner(root)).isEqualTo(12345);
        assertThat(owner(root.resolve("run"))).isEqualTo(12345);
        assertThat(owner(root.resolve("run/firecracker.log"))).isEqualTo(12345);
        assertThat(owner(root.resolve("run/metrics.json"))).isEqualTo(12345);
        assertThat(owner(root.resolve("vmlinux"))).as("world-readable: left alone").isZero();
        assertThat(owner(root.resolve("drive-scratch.img"))).as("writable: the jail's").isEqualTo(12345);
        assertThat((int) Files.getAttribute(root.resolve("drive-scratch.img"), "unix:gid")).isEqualTo(12346);

        started.kill();
        started.exit().get(5, TimeUnit.SECONDS);
        JailFiles.remove(layout.layout().jailDir(), List.of());
        assertThat(layout.layout().jailDir()).doesNotExist();
        assertThat(shared).exists();
    }

    private static Object inode(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ino");
    }

    private static int owner(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:uid");
    }
}
