package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonLauncherTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
    private final PrintStream progress = new PrintStream(progressBytes, true, StandardCharsets.UTF_8);

    private String progress() {
        return progressBytes.toString(StandardCharsets.UTF_8);
    }

    private DaemonLauncher launcher(Path socket, List<String> command) {
        return new DaemonLauncher(socket, dir.resolve("state"), progress, command, Duration.ofSeconds(60), Clock.systemUTC());
    }

    @Test
    void aRunningDaemonIsLeftAlone() throws Exception {
        try (FakeDaemon daemon = new FakeDaemon(dir.resolve("k.sock"))) {
            daemon.answer("GET /v1/health", FakeDaemon.Answer.json(200, "{\"status\":\"ok\",\"pid\":1}"));
            assertThat(launcher(daemon.socket, List.of("false")).ensureRunning()).isFalse();
        }
        assertThat(Files.exists(dir.resolve("state/daemon.log"))).isFalse();
    }

    @Test
    void startsADaemonCopiesItsLogAndCanStopIt() throws Exception {
        Path socket = dir.resolve("k.sock");
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = List.of(javaBin, "-cp", System.getProperty("java.class.path"),
                FakeDaemonMain.class.getName(), socket.toString());

        assertThat(launcher(socket, command).ensureRunning()).isTrue();

        assertThat(progress()).contains("starting the kiln daemon", "fake daemon: building the guest image",
                "fake daemon: listening on " + socket, "the kiln daemon is running");
        try (DaemonClient client = new DaemonClient(socket)) {
            long pid = client.health().pid();
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            assertThat(process).isPresent();
            client.shutdown();
            assertThat(process.get().onExit().get(20, TimeUnit.SECONDS).isAlive()).isFalse();
        }
    }

    @Test
    void aDaemonThatExitsFirstFailsWithTheEndOfItsLog() throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        Files.writeString(state.resolve("daemon.log"), "an old line from an earlier run\n");
        List<String> command = List.of("sh", "-c", "echo 'starting'; echo 'error: no /dev/kvm and no luck' >&2; exit 3");

        assertThatThrownBy(() -> launcher(dir.resolve("k.sock"), command).ensureRunning())
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
                    assertThat(e.getMessage()).contains("exited with code 3", "starting", "error: no /dev/kvm and no luck")
                            .doesNotContain("an old line");
                });
        assertThat(progress()).contains("error: no /dev/kvm and no luck");
        assertThat(Files.readString(state.resolve("daemon.log"))).startsWith("an old line");
    }

    @Test
    void theDaemonCommandRunsThisClassPathsMainInItsOwnSession() {
        List<String> cmd = DaemonLauncher.daemonCommand(Path.of("/run/k.sock"), Path.of("/var/lib/k"));
        assertThat(cmd.getFirst()).endsWith("setsid");
        assertThat(cmd).containsSequence("-cp", System.getProperty("java.class.path"), "dev.kiln.cli.Main",
                "--socket", "/run/k.sock", "--state-dir", "/var/lib/k", "daemon");
    }
}
