package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.NetworkMode;
import dev.kiln.api.agent.RestartPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real containers under the real runc on this host (root only; skipped with the reason otherwise). */
class RuncRuntimeTest {
    @TempDir
    static Path state;

    private static final RuncHarness harness = new RuncHarness();
    private static final List<String> ids = new ArrayList<>();
    private static RuncContainerRuntime runtime;
    private static ImagePuller.PulledImage image;
    private static Path imageRootfs;

    @BeforeAll
    static void setUp() throws IOException {
        String why = Fixtures.runcUnavailable();
        assumeTrue(why.isEmpty(), why);
        AgentConfig config = AgentConfig.parse(harness.args(state, "--max-exec-output=1k"), Map.of());
        runtime = new RuncContainerRuntime(config, Cgroups.detect(), HostFacts.system(), Clock.systemUTC());
        imageRootfs = Files.createDirectories(state.resolve("image/rootfs"));
        LayerUnpacker.create().apply(TarBuilder.stream(Fixtures.busyboxLayer()), imageRootfs);
        image = new ImagePuller.PulledImage("test/busybox:1", "sha256:" + "b".repeat(64), "sha256:" + "c".repeat(64),
                new ImageConfig(List.of(), List.of("sh"), List.of("FROM_IMAGE=yes"), "", ""), List.of(), 0);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (runtime == null) {
            return;
        }
        for (ContainerInfo c : runtime.list()) {
            runtime.remove(c.id(), true);
        }
        runtime.close();
        harness.assertNoLeaks(state, ids);
    }

    private static ContainerInfo start(ContainerSpec spec) {
        ContainerInfo info = runtime.start(spec, image, imageRootfs);
        ids.add(info.id());
        return info;
    }

    private static ContainerSpec sh(String name, String script) {
        return ContainerSpec.of(name, "test/busybox:1").withCommand(List.of("sh", "-c", script));
    }

    private static ContainerInfo awaitState(String id, ContainerState state) {
        await().atMost(Duration.ofSeconds(30)).until(() -> runtime.inspect(id).state() == state);
        return runtime.inspect(id);
    }

    private static String log(String id, boolean stdout) throws IOException {
        var logs = runtime.logs(id);
        return Files.readString(stdout ? logs.stdout() : logs.stderr());
    }

    @Test
    void runsAndReportsOutputAndExitCode() throws IOException {
        ContainerInfo info = start(sh("exit3", "echo hello; echo oops >&2; echo $FROM_IMAGE $HOME $(pwd); exit 3")
                .withEnv(Map.of("HOME", "/tmp")).withWorkdir("/etc"));
        ContainerInfo done = awaitState(info.id(), ContainerState.EXITED);
        assertThat(done.exitCode()).contains(3);
        assertThat(done.oomKilled()).isFalse();
        assertThat(done.startedAt()).isPresent();
        assertThat(done.finishedAt()).isPresent();
        assertThat(log(info.id(), true)).isEqualTo("hello\nyes /tmp /etc\n");
        assertThat(log(info.id(), false)).isEqualTo("oops\n");
    }

    @Test
    void execRunsInARunningContainer() {
        ContainerInfo info = start(ContainerSpec.of("exec", "test/busybox:1").withCommand(List.of("sleep", "300")));
        assertThat(info.state()).as(info::toString).isEqualTo(ContainerState.RUNNING);
        assertThat(info.pid()).isPresent();
        var r = runtime.exec("exec", ExecRequest.of("sh", "-c", "echo $((1+2)); id -u; echo err >&2; exit 4"));
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.stdout()).isEqualTo("3\n0\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        var asApp = runtime.exec("exec", new ExecRequest(List.of("id", "-u"), Map.of(), Optional.empty(),
                Optional.of("app"), Optional.empty()));
        assertThat(asApp.stdout()).isEqualTo("1000\n");
        var big = runtime.exec("exec", ExecRequest.of("sh", "-c", "yes | head -c 100000"));
        assertThat(big.stdout()).hasSize(1024);
        assertThat(big.stdoutTruncated()).isTrue();
        var slow = runtime.exec("exec", new ExecRequest(List.of("sleep", "30"), Map.of(), Optional.empty(),
                Optional.empty(), Optional.of(Duration.ofMillis(300))));
        assertThat(slow.timedOut()).isTrue();
        assertThat(slow.duration()).isLessThan(Duration.ofSeconds(10));
        runtime.remove("exec", true);
        assertThatThrownBy(() -> runtime.inspect("exec")).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.code()).isEqualTo(AgentErrorCode.NOT_FOUND));
    }

    @Test
    void stopSendsTermThenKill() {
        start(sh("polite", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.inspect("polite").state() == ContainerState.RUNNING);
        ContainerInfo polite = runtime.stop("polite", Duration.ofSeconds(10));
        assertThat(polite.state()).isEqualTo(ContainerState.EXITED);
        assertThat(polite.exitCode()).contains(0);
        // sleep as PID 1 has no TERM handler, so the kernel ignores TERM: the stop must escalate to KILL
        start(ContainerSpec.of("stubborn", "test/busybox:1").withCommand(List.of("sleep", "300"))
                .withRestart(RestartPolicy.always()));
        ContainerInfo stubborn = runtime.stop("stubborn", Duration.ofMillis(500));
        assertThat(stubborn.state()).isEqualTo(ContainerState.EXITED);
        assertThat(stubborn.exitCode()).contains(137);
        assertThat(stubborn.oomKilled()).isFalse();
        assertThat(stubborn.restarts()).isZero();
    }

    @Test
    void aContainerOverItsMemoryLimitIsReportedOomKilled() {
        ContainerInfo info = start(sh("hog", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo done")
                .withLimits(Optional.of(32L << 20), Optional.empty(), Optional.empty()));
        ContainerInfo done = awaitState(info.id(), ContainerState.EXITED);
        assertThat(done.exitCode()).contains(137);
        assertThat(done.oomKilled()).isTrue();
        assertThat(done.error()).hasValueSatisfying(e -> assertThat(e).contains("OOM killer", "33554432"));
        assertThat(runtime.stats(info.id()).oomKills()).isPositive();
    }

    @Test
    void aMissingEntrypointFailsWithRuncsError() throws IOException {
        ContainerInfo info = start(ContainerSpec.of("missing", "test/busybox:1").withCommand(List.of("/no/such/bin")));
        assertThat(info.state()).isEqualTo(ContainerState.FAILED);
        assertThat(info.error()).hasValueSatisfying(e -> assertThat(e).contains("/no/such/bin", "no such file"));
        assertThat(log(info.id(), false)).contains("/no/such/bin");
        assertThat(info.restarts()).isZero();
    }

    @Test
    void statsComeFromTheCgroup() {
        ContainerInfo info = start(sh("stats", "x=$(head -c 3000000 /dev/zero | tr '\\0' a); sleep 300")
                .withLimits(Optional.of(64L << 20), Optional.of(500), Optional.of(50L)));
        // the shell holds 3 MB, then execs sleep: the peak shows the 3 MB, the current use stays above zero
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.stats(info.id()).memoryPeakBytes()
                .map(peak -> peak > 3_000_000).orElse(true) && runtime.stats(info.id()).pidsCurrent() == 1);
        var stats = runtime.stats(info.id());
        assertThat(stats.running()).isTrue();
        assertThat(stats.memoryCurrentBytes()).isPositive();
        assertThat(stats.cgroupVersion()).isEqualTo(Cgroups.detect().version());
        assertThat(stats.memoryMaxBytes()).contains(64L << 20);
        assertThat(stats.pidsCurrent()).isPositive();
        assertThat(stats.cpuUsageUsec()).isPositive();
        assertThat(stats.oomKills()).isZero();
    }

    @Test
    void onFailureRestartsUpToItsLimit() throws IOException {
        ContainerInfo info = start(sh("flaky", "echo run; exit 1").withRestart(RestartPolicy.onFailure(2)));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            ContainerInfo i = runtime.inspect(info.id());
            return i.state() == ContainerState.EXITED && i.restarts() == 2;
        });
        assertThat(runtime.inspect(info.id()).exitCode()).contains(1);
        assertThat(log(info.id(), true)).isEqualTo("run\nrun\nrun\n");
        assertThat(runtime.logs(info.id()).ended()).isDone();
    }

    @Test
    void filesGoInAndOutOfTheRoot() throws IOException {
        ContainerInfo info = start(ContainerSpec.of("files", "test/busybox:1").withCommand(List.of("sleep", "300")));
        Path root = runtime.rootfs(info.id());
        ContainerFiles.write(root, "/tmp/in.txt", new ByteArrayInputStream("from host".getBytes()), 1024, 0600);
        assertThat(runtime.exec(info.id(), ExecRequest.of("cat", "/tmp/in.txt")).stdout()).isEqualTo("from host");
        runtime.exec(info.id(), ExecRequest.of("sh", "-c", "echo from container > /tmp/out.txt"));
        assertThat(ContainerFiles.source(root, "/tmp/out.txt")).hasContent("from container");
    }

    @Test
    void readOnlyRootUserAndIsolatedNetworkApply() {
        start(ContainerSpec.of("locked", "test/busybox:1").withCommand(List.of("sleep", "300"))
                .withReadOnlyRoot(true).withUser("app").withNetwork(NetworkMode.ISOLATED));
        var write = runtime.exec("locked", ExecRequest.of("touch", "/home/app/x"));
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
        assertThat(runtime.exec("locked", ExecRequest.of("id")).stdout()).contains("uid=1000", "gid=1000", "2000");
        String devices = runtime.exec("locked", ExecRequest.of("cat", "/proc/net/dev")).stdout();
        assertThat(devices).contains("lo:").doesNotContain("eth0");
    }

    @Test
    void nameClashesAreRefused() {
        start(ContainerSpec.of("twice", "test/busybox:1").withCommand(List.of("true")));
        assertThatThrownBy(() -> runtime.start(ContainerSpec.of("twice", "test/busybox:1"), image, imageRootfs))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.CONFLICT));
    }

    @Test
    void theCopyFallbackWorksToo() throws IOException {
        Path copyState = Files.createDirectories(state.resolve("copy-state"));
        AgentConfig config = AgentConfig.parse(harness.args(copyState, "--rootfs=copy"), Map.of());
        try (var copying = new RuncContainerRuntime(config, Cgroups.detect(), HostFacts.system(), Clock.systemUTC())) {
            assertThat(copying.rootfsMode()).isEqualTo("copy");
            ContainerInfo info = copying.start(sh("copied", "echo copied; ls /bin/busybox"), image, imageRootfs);
            ids.add(info.id());
            await().atMost(Duration.ofSeconds(20)).until(() -> copying.inspect(info.id()).state() == ContainerState.EXITED);
            assertThat(Files.readString(copying.logs(info.id()).stdout())).isEqualTo("copied\n/bin/busybox\n");
            copying.remove(info.id(), false);
            assertThat(new Runc(Fixtures.RUNC, copyState.resolve("runc")).list()).isEmpty();
        }
        assertThat(runtime.rootfsMode()).isEqualTo("overlay");
    }
}
