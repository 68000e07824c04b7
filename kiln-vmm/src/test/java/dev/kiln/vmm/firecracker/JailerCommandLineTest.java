package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.JailSpec.CgroupVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The jailer's argv uses its documented flag names, in a fixed order, and bad specs are refused with a hint. */
class JailerCommandLineTest {
    static final Path FC = Path.of("/usr/local/bin/firecracker");

    static JailSpec.Builder minimal() {
        return JailSpec.builder("kiln-vm-1", FC, 10000, 10000);
    }

    @Test
    void aMinimalSpecGivesTheRequiredFlagsAndTheJailersDefaults() {
        assertThat(JailerCommandLine.arguments(minimal().build())).containsExactly(
                "--id", "kiln-vm-1",
                "--exec-file", "/usr/local/bin/firecracker",
                "--uid", "10000",
                "--gid", "10000",
                "--chroot-base-dir", "/srv/jailer",
                "--cgroup-version", "1");
    }

    @Test
    void everyOptionAppearsInOrderAndFirecrackersArgsFollowTheSeparator() {
        JailSpec spec = minimal()
                .chrootBaseDir(Path.of("/var/lib/kiln/jail"))
                .netns("/var/run/netns/kiln-1")
                .cgroupVersion(CgroupVersion.V2)
                .cgroup("memory.max", "536870912")
                .cgroup("cpu.max", "100000 100000")
                .parentCgroup("kiln.slice/vms")
                .resourceLimit("fsize", 250_000_000L)
                .resourceLimit("no-file", 1024)
                .newPidNs(true)
                .daemonize(true)
                .firecrackerArgs("--api-sock", "/run/firecracker.socket", "--config-file", "none")
                .build();

        assertThat(JailerCommandLine.command(Path.of("/usr/local/bin/jailer"), spec)).containsExactly(
                "/usr/local/bin/jailer",
                "--id", "kiln-vm-1",
                "--exec-file", "/usr/local/bin/firecracker",
                "--uid", "10000",
                "--gid", "10000",
                "--chroot-base-dir", "/var/lib/kiln/jail",
                "--netns", "/var/run/netns/kiln-1",
                "--cgroup-version", "2",
                "--cgroup", "memory.max=536870912",
                "--cgroup", "cpu.max=100000 100000",
                "--parent-cgroup", "kiln.slice/vms",
                "--resource-limit", "fsize=250000000",
                "--resource-limit", "no-file=1024",
                "--new-pid-ns",
                "--daemonize",
                "--",
                "--api-sock", "/run/firecracker.socket",
                "--config-file", "none");
    }

    @Test
    void theRecordsCollectionsAreImmutableCopiesInTheCallersOrder() {
        JailSpec spec = new JailSpec("a", FC, 0, 0, Path.of("/srv/jailer"), Optional.empty(), CgroupVersion.V1,
                Map.of("cpuset.cpus", "0"), Optional.empty(), Map.of(), false, false, List.of());
        assertThatThrownBy(() -> spec.cgroups().put("cpu.shares", "10"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(spec.execFileName()).isEqualTo("firecracker");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has_underscore", "has space", "a/b", "ümlaut",
            "12345678901234567890123456789012345678901234567890123456789012345"})
    void idsOutsideTheJailersRuleAreRefused(String id) {
        assertInvalid(() -> JailSpec.builder(id, FC, 1, 1).build(), "jail id");
    }

    @Test
    void sixtyFourAlphanumericsAndHyphensAreAnId() {
        String id = "a-".repeat(32);
        assertThat(id).hasSize(64);
        assertThatCode(() -> JailSpec.builder(id, FC, 1, 1).build()).doesNotThrowAnyException();
        assertThatCode(() -> JailSpec.builder("551e7604-e35c-42b3-b825-416853441234", FC, 1, 1).build())
                .doesNotThrowAnyException();
    }

    @Test
    void negativeIdsAndRelativePathsAreRefused() {
        assertInvalid(() -> JailSpec.builder("a", FC, -1, 0).build(), "negative");
        assertInvalid(() -> JailSpec.builder("a", FC, 0, -1).build(), "negative");
        assertInvalid(() -> JailSpec.builder("a", Path.of("firecracker"), 0, 0).build(), "not an absolute path");
        assertInvalid(() -> minimal().chrootBaseDir(Path.of("jail")).build(), "chroot base dir");
        assertInvalid(() -> minimal().netns("netns/kiln-1").build(), "network namespace");
    }

    /** jailer.md of v1.16.1 no longer says the exec file's name must contain "firecracker", so kiln does not ask it. */
    @Test
    void anExecFileNotNamedFirecrackerIsAccepted() {
        assertThatCode(() -> JailSpec.builder("a", Path.of("/opt/fc/fc-1.16.1"), 0, 0).build())
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", ".max", "memory.", "Memory.max", "memory.max=1", "../cpu.max", "cpu max"})
    void malformedCgroupFilesAreRefused(String file) {
        assertInvalid(() -> minimal().cgroup(file, "1").build(), "<controller>.<name>");
    }

    @Test
    void cgroupValuesMustBeOneNonEmptyLine() {
        assertInvalid(() -> minimal().cgroup("memory.max", " ").build(), "empty or spans lines");
        assertInvalid(() -> minimal().cgroup("memory.max", "1\n2").build(), "empty or spans lines");
        assertThatCode(() -> minimal().cgroup("cpuset.cpus", "0-3").cgroup("memory.swap.max", "0").build())
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/kiln", "../kiln", "kiln/../../x", " "})
    void parentCgroupsOutsideTheHierarchyAreRefused(String parent) {
        assertInvalid(() -> minimal().parentCgroup(parent).build(), "parent cgroup");
    }

    @Test
    void onlyTheDocumentedResourceLimitsAreAccepted() {
        assertInvalid(() -> minimal().resourceLimit("nproc", 10).build(), "not one the jailer knows");
        assertInvalid(() -> minimal().resourceLimit("no-file", -1).build(), "non-negative");
    }

    @Test
    void firecrackerArgsMayNotRepeatTheIdTheJailerPassesOn() {
        assertInvalid(() -> minimal().firecrackerArgs("--id", "x").build(), "--id");
        assertInvalid(() -> minimal().firecrackerArgs("--id=x").build(), "--id");
    }

    static void assertInvalid(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains(messagePart);
            assertThat(e.hint()).isNotBlank();
        });
    }
}
