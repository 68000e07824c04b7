package dev.kiln.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.Mount;
import dev.kiln.api.agent.NetworkMode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RuntimeSpecsTest {
    private static final long GIB = 1L << 30;
    private static final ImageConfig IMAGE = new ImageConfig(List.of("/entry", "--flag"), List.of("serve", "-v"),
            List.of("PATH=/opt/bin:/bin", "LANG=C.UTF-8", "MODE=image"), "/srv", "");
    private static final Users USERS = Users.parse(
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n",
            "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:app\n");

    private static RuntimeSpecs.Context ctx() {
        return new RuntimeSpecs.Context("abc123", Path.of("/var/lib/kiln/containers/abc123/rootfs"), "/kiln/abc123",
                GIB, USERS, List.of("/etc/resolv.conf"));
    }

    private static ContainerSpec spec() {
        return ContainerSpec.of("web", "library/app:1");
    }

    @Test
    void imageEntrypointAndCmdRunTogether() {
        assertThat(RuntimeSpecs.argv(spec(), IMAGE)).containsExactly("/entry", "--flag", "serve", "-v");
    }

    @Test
    void argsReplaceOnlyTheCmd() {
        assertThat(RuntimeSpecs.argv(spec().withArgs(List.of("check")), IMAGE))
                .containsExactly("/entry", "--flag", "check");
    }

    @Test
    void commandReplacesEntrypointAndDropsTheImageCmd() {
        assertThat(RuntimeSpecs.argv(spec().withCommand(List.of("/bin/sh")), IMAGE)).containsExactly("/bin/sh");
        assertThat(RuntimeSpecs.argv(spec().withCommand(List.of("/bin/sh")).withArgs(List.of("-c", "true")), IMAGE))
                .containsExactly("/bin/sh", "-c", "true");
    }

    @Test
    void noCommandAnywhereIsRefused() {
        assertThatThrownBy(() -> RuntimeSpecs.argv(spec(), ImageConfig.empty()))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.BAD_REQUEST);
                    assertThat(e.getMessage()).contains("no command");
                });
    }

    @Test
    void specEnvOverridesTheImageAndPathAndHomeAreDefaulted() {
        List<String> env = RuntimeSpecs.env(spec().withEnv(Map.of("MODE", "spec", "EXTRA", "1")), IMAGE, "/root");
        assertThat(env).contains("PATH=/opt/bin:/bin", "LANG=C.UTF-8", "MODE=spec", "EXTRA=1", "HOME=/root");
        assertThat(RuntimeSpecs.envValue(RuntimeSpecs.env(spec(), ImageConfig.empty(), "/"), "PATH"))
                .contains(RuntimeSpecs.DEFAULT_PATH);
    }

    @Test
    void workdirComesFromSpecThenImageThenRoot() {
        assertThat(RuntimeSpecs.cwd(spec().withWorkdir("/data"), IMAGE)).isEqualTo("/data");
        assertThat(RuntimeSpecs.cwd(spec(), IMAGE)).isEqualTo("/srv");
        assertThat(RuntimeSpecs.cwd(spec(), ImageConfig.empty())).isEqualTo("/");
    }

    @Test
    void usersResolveByNameAndNumberWithSupplementaryGroups() {
        assertThat(USERS.resolve("")).isEqualTo(new Users.Resolved(0, 0, List.of(), "/root"));
        assertThat(USERS.resolve("app")).isEqualTo(new Users.Resolved(1000, 1001, List.of(10L, 29L), "/home/app"));
        assertThat(USERS.resolve("1000")).isEqualTo(new Users.Resolved(1000, 1001, List.of(10L, 29L), "/home/app"));
        assertThat(USERS.resolve("app:wheel").gid()).isEqualTo(10);
        assertThat(USERS.resolve("4242:4343")).isEqualTo(new Users.Resolved(4242, 4343, List.of(), "/"));
        assertThatThrownBy(() -> USERS.resolve("nobody")).hasMessageContaining("'nobody' is not in the image's /etc/passwd");
        assertThatThrownBy(() -> USERS.resolve("app:nogroup")).hasMessageContaining("group 'nogroup'");
    }

    @Test
    void theSpecCarriesUserLimitsAndRoot() {
        var s = spec().withUser("app").withLimits(Optional.of(256L << 20), Optional.of(500), Optional.of(64L))
                .withReadOnlyRoot(true);
        OciRuntimeSpec oci = RuntimeSpecs.generate(s, IMAGE, ctx());
        assertThat(oci.ociVersion()).isEqualTo("1.0.2");
        assertThat(oci.process().user()).isEqualTo(new OciRuntimeSpec.User(1000, 1001, List.of(10L, 29L)));
        assertThat(oci.process().env()).contains("HOME=/home/app");
        assertThat(oci.root()).isEqualTo(new OciRuntimeSpec.Root("/var/lib/kiln/containers/abc123/rootfs", true));
        assertThat(oci.linux().resources().memory()).contains(new OciRuntimeSpec.Memory(256L << 20));
        assertThat(oci.linux().resources().cpu()).contains(new OciRuntimeSpec.Cpu(50_000, 100_000));
        assertThat(oci.linux().resources().pids()).contains(new OciRuntimeSpec.Pids(64));
        assertThat(oci.linux().cgroupsPath()).isEqualTo("/kiln/abc123");
        assertThat(oci.process().noNewPrivileges()).isTrue();
        assertThat(oci.process().capabilities().bounding()).contains("CAP_CHOWN").doesNotContain("CAP_SYS_ADMIN");
        assertThat(oci.linux().maskedPaths()).contains("/proc/kcore");
        assertThat(oci.mounts()).extracting(OciRuntimeSpec.Mount::destination)
                .contains("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup");
    }

    @Test
    void cpuQuotaHasAFloor() {
        assertThat(RuntimeSpecs.cpuQuota(2000)).isEqualTo(200_000);
        assertThat(RuntimeSpecs.cpuQuota(1)).isEqualTo(1000);
    }

    @Test
    void networkModeDecidesTheNetworkNamespaceAndTheVmFiles() {
        OciRuntimeSpec vm = RuntimeSpecs.generate(spec().withNetwork(NetworkMode.VM), IMAGE, ctx());
        OciRuntimeSpec isolated = RuntimeSpecs.generate(spec().withNetwork(NetworkMode.ISOLATED), IMAGE, ctx());
        assertThat(vm.linux().namespaces()).extracting(OciRuntimeSpec.Namespace::type)
                .containsExactly("pid", "ipc", "uts", "mount");
        assertThat(isolated.linux().namespaces()).extracting(OciRuntimeSpec.Namespace::type)
                .containsExactly("pid", "ipc", "uts", "mount", "network");
        assertThat(vm.mounts()).extracting(OciRuntimeSpec.Mount::destination).contains("/etc/resolv.conf");
        assertThat(isolated.mounts()).extracting(OciRuntimeSpec.Mount::destination).doesNotContain("/etc/resolv.conf");
    }

    @Test
    void aPodContainerJoinsItsPodsNamespaceAndKeepsTheVmFiles() {
        OciRuntimeSpec pod = RuntimeSpecs.generate(spec().inPod("web-1"), IMAGE, ctx());
        assertThat(pod.linux().namespaces()).contains(
                new OciRuntimeSpec.Namespace("network", java.util.Optional.of("/var/run/netns/web-1")));
        assertThat(pod.mounts()).extracting(OciRuntimeSpec.Mount::destination).contains("/etc/resolv.conf");
        assertThatThrownBy(() -> RuntimeSpecs.generate(spec().withNetwork(NetworkMode.POD), IMAGE, ctx()))
                .hasMessageContaining("network POD needs the pod");
        assertThatThrownBy(() -> RuntimeSpecs.generate(spec().inPod("web-1").withNetwork(NetworkMode.VM), IMAGE, ctx()))
                .hasMessageContaining("pod is set but network is VM");
        assertThatThrownBy(() -> RuntimeSpecs.generate(spec().inPod("../etc"), IMAGE, ctx()))
                .hasMessageContaining("invalid pod name");
    }

    @Test
    void mountsBecomeBindAndTmpfsMounts() {
        var s = spec().withMounts(List.of(Mount.bind("/mnt/vdb/data", "/data", true), Mount.tmpfs("/scratch", 1 << 20)));
        OciRuntimeSpec oci = RuntimeSpecs.generate(s, IMAGE, ctx());
        assertThat(oci.mounts()).contains(
                new OciRuntimeSpec.Mount("/data", "bind", "/mnt/vdb/data", List.of("rbind", "ro", "nosuid", "nodev")),
                new OciRuntimeSpec.Mount("/scratch", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=1048576")));
    }

    @Test
    void aMemoryLimitAboveTheVmIsRefusedBeforeAnythingElse() {
        var s = spec().withLimits(Optional.of(2 * GIB), Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> RuntimeSpecs.validate(s, GIB))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.MEMORY_LIMIT_TOO_HIGH);
                    assertThat(e.getMessage()).contains("2048 MiB", "1024 MiB");
                    assertThat(AgentException.httpStatus(e.code())).isEqualTo(400);
                });
    }

    @Test
    void badSpecsAreRefused() {
        assertThatThrownBy(() -> RuntimeSpecs.validate(ContainerSpec.of("bad name", "x"), GIB)).hasMessageContaining("name");
        assertThatThrownBy(() -> RuntimeSpecs.validate(spec().withWorkdir("rel"), GIB)).hasMessageContaining("absolute");
        assertThatThrownBy(() -> RuntimeSpecs.validate(spec().withMounts(List.of(Mount.bind("/a/../..", "/b", false))), GIB))
                .hasMessageContaining("'..'");
        assertThatThrownBy(() -> RuntimeSpecs.validate(spec().withLimits(Optional.empty(), Optional.of(0), Optional.empty()), GIB))
                .hasMessageContaining("cpuMillis");
    }

    @Test
    void theJsonHasTheOciFieldNamesAndNoAbsentFields() throws Exception {
        JsonNode json = Json.mapper().readTree(Json.write(RuntimeSpecs.generate(spec(), IMAGE, ctx())));
        assertThat(json.path("ociVersion").asText()).isEqualTo("1.0.2");
        assertThat(json.path("process").path("user").path("additionalGids").isArray()).isTrue();
        assertThat(json.path("linux").path("resources").has("memory")).isFalse();
        assertThat(json.path("linux").path("resources").path("devices").get(0).path("access").asText()).isEqualTo("rwm");
        assertThat(json.path("root").path("readonly").asBoolean()).isFalse();
    }
}
