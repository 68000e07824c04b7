package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Config parsing, routing, cgroup reading, image references, file paths: the small pure parts. */
class SmallPartsTest {
    @TempDir
    Path tmp;

    @Test
    void configComesFromArgsThenEnvThenDefaults() {
        var c = AgentConfig.parse(List.of("--listen=127.0.0.1:0", "--state-dir", "/tmp/s", "--max-file=2MiB"),
                Map.of("KILN_AGENT_STOP_TIMEOUT", "3s", "KILN_AGENT_STATE_DIR", "/ignored"));
        assertThat(c.listenHost()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isZero();
        assertThat(c.stateDir()).isEqualTo(Path.of("/tmp/s"));
        assertThat(c.stopTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.maxFileBytes()).isEqualTo(2L << 20);
        var d = AgentConfig.defaults();
        assertThat(d.port()).isEqualTo(10071);
        assertThat(d.tokenFile()).isEqualTo(Path.of("/run/kiln/token"));
        assertThat(d.stateDir()).isEqualTo(Path.of("/var/lib/kiln"));
        assertThat(d.rootfs()).isEqualTo(AgentConfig.RootfsMode.AUTO);
        assertThatThrownBy(() -> AgentConfig.parse(List.of("--bogus=1"), Map.of())).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> AgentConfig.parse(List.of("--stop-timeout=soon"), Map.of())).hasMessageContaining("duration");
        assertThat(AgentConfig.duration("x", "PT1.5S")).isEqualTo(Duration.ofMillis(1500));
        assertThat(AgentConfig.bytes("x", "512k")).isEqualTo(512 * 1024);
    }

    @Test
    void routesParseToCalls() {
        assertThat(ApiCall.parse("GET", "/v1/health", Map.of())).isEqualTo(new ApiCall.Health());
        assertThat(ApiCall.parse("POST", "/v1/containers/web/stop", Map.of("timeout", "5")))
                .isEqualTo(new ApiCall.Stop("web", Optional.of(Duration.ofSeconds(5))));
        assertThat(ApiCall.parse("DELETE", "/v1/containers/web", Map.of("force", "true")))
                .isEqualTo(new ApiCall.Remove("web", true));
        assertThat(ApiCall.parse("GET", "/v1/containers/web/logs", Map.of("follow", "true", "stream", "stderr")))
                .isEqualTo(new ApiCall.Logs("web", true, ApiCall.LogStream.STDERR));
        assertThat(ApiCall.parse("PUT", "/v1/containers/web/files", Map.of("path", "/etc/x", "mode", "0600")))
                .isEqualTo(new ApiCall.PutFile("web", "/etc/x", 0600));
        assertThat(ApiCall.parse("POST", "/v1/identity", Map.of())).isEqualTo(new ApiCall.Identity());
        assertThat(ApiCall.parse("POST", "/v1/identity/prepare", Map.of())).isEqualTo(new ApiCall.IdentityPrepare());
        assertThatThrownBy(() -> ApiCall.parse("GET", "/v1/identity/prepare", Map.of()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.METHOD_NOT_ALLOWED));
        assertThatThrownBy(() -> ApiCall.parse("PATCH", "/v1/containers/web", Map.of()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.METHOD_NOT_ALLOWED));
        assertThatThrownBy(() -> ApiCall.parse("GET", "/v1/nope", Map.of()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> ApiCall.parse("GET", "/v1/containers/web/logs", Map.of("stream", "all")))
                .hasMessageContaining("stream must be");
    }

    @Test
    void cgroupLayoutIsReadFromMountinfo() {
        String hybrid = """
                31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
                35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
                41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """;
        Cgroups v1 = Cgroups.parse(hybrid);
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v1.controllers()).containsEntry("cpuacct", Path.of("/sys/fs/cgroup/cpu,cpuacct"))
                .containsEntry("memory", Path.of("/sys/fs/cgroup/memory"));
        Cgroups v2 = Cgroups.parse("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
        assertThat(v2.version()).isEqualTo(2);
    }

    @Test
    void cgroupV2FilesAreRead() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("kiln/c1"));
        Files.writeString(dir.resolve("memory.current"), "1048576\n");
        Files.writeString(dir.resolve("memory.max"), "max\n");
        Files.writeString(dir.resolve("memory.peak"), "2097152\n");
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
        Files.writeString(dir.resolve("pids.current"), "2\n");
        var usage = new Cgroups(2, tmp, Map.of()).read("/kiln/c1");
        assertThat(usage).isEqualTo(new Cgroups.Usage(1048576, Optional.empty(), Optional.of(2097152L), 1, 1234, 2));
    }

    @Test
    void cgroupV1FilesAreRead() throws IOException {
        Path mem = Files.createDirectories(tmp.resolve("memory/kiln/c1"));
        Path cpu = Files.createDirectories(tmp.resolve("cpuacct/kiln/c1"));
        Path pids = Files.createDirectories(tmp.resolve("pids/kiln/c1"));
        Files.writeString(mem.resolve("memory.usage_in_bytes"), "4096\n");
        Files.writeString(mem.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
        Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "8192\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Files.writeString(cpu.resolve("cpuacct.usage"), "5000000\n");
        Files.writeString(pids.resolve("pids.current"), "3\n");
        var layout = new Cgroups(1, tmp, Map.of("memory", tmp.resolve("memory"), "cpuacct", tmp.resolve("cpuacct"),
                "pids", tmp.resolve("pids")));
        assertThat(layout.read("/kiln/c1"))
                .isEqualTo(new Cgroups.Usage(4096, Optional.empty(), Optional.of(8192L), 2, 5000, 3));
    }

    @Test
    void imageReferencesParse() {
        assertThat(ImageRef.parse("library/busybox")).isEqualTo(new ImageRef("library/busybox", "latest", Optional.empty()));
        assertThat(ImageRef.parse("app:1.2").manifestReference()).isEqualTo("1.2");
        String digest = "sha256:" + "a".repeat(64);
        assertThat(ImageRef.parse("app@" + digest).manifestReference()).isEqualTo(digest);
        assertThatThrownBy(() -> ImageRef.parse("app@md5:00")).hasMessageContaining("only sha256");
    }

    @Test
    void filePathsMayNotClimbOutOfTheRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root/etc"));
        Path outside = Files.writeString(tmp.resolve("secret"), "s");
        assertThatThrownBy(() -> ContainerFiles.checked("/../secret"))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.PATH_ESCAPES_ROOT));
        assertThatThrownBy(() -> ContainerFiles.checked("etc/x")).hasMessageContaining("absolute");
        assertThat(ContainerFiles.checked("/etc/../etc/x")).isEqualTo("/etc/../etc/x");
        Files.createSymbolicLink(root.resolve("link"), outside);
        // a link to an absolute path is resolved inside the root: no file there
        assertThatThrownBy(() -> ContainerFiles.source(tmp.resolve("root"), "/etc/link"))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.NOT_FOUND));
        ContainerFiles.write(tmp.resolve("root"), "/etc/link", new ByteArrayInputStream("new".getBytes()), 100, 0600);
        assertThat(outside).hasContent("s");
        assertThat(root.resolve("link")).hasContent("new");
        assertThatThrownBy(() -> ContainerFiles.write(tmp.resolve("root"), "/etc/big",
                new ByteArrayInputStream(new byte[200]), 100, 0600))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.PAYLOAD_TOO_LARGE));
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("link");
        }
    }

    @Test
    void restartPolicyDecides() {
        var onFailure = dev.kiln.api.agent.RestartPolicy.onFailure(2);
        assertThat(onFailure.restarts(1, 0)).isTrue();
        assertThat(onFailure.restarts(1, 2)).isFalse();
        assertThat(onFailure.restarts(0, 0)).isFalse();
        assertThat(dev.kiln.api.agent.RestartPolicy.always().restarts(0, 100)).isTrue();
        assertThat(dev.kiln.api.agent.RestartPolicy.no().restarts(1, 0)).isFalse();
    }
}
