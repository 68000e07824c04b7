package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import dev.kiln.vmm.firecracker.FcRequest.PatchDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutBalloon;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutMachineConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutMmds;
import dev.kiln.vmm.firecracker.FcRequest.PutMmdsConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PutVsock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Values Firecracker would refuse are refused by kiln first, with a hint, before anything is sent. */
class FcBadInputTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(ints = {0, -2, 3, 5, 31, 33, 34, 64})
    void badVcpuCountsAreRefused(int vcpus) {
        assertInvalid(() -> PutMachineConfig.of(vcpus, 512), "vCPU count " + vcpus);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 32})
    void goodVcpuCountsAreAccepted(int vcpus) {
        assertThatCode(() -> PutMachineConfig.of(vcpus, 512)).doesNotThrowAnyException();
    }

    @Test
    void anOddVcpuCountIsRefusedBeforeAnythingIsSent() {
        try (FakeFirecrackerApi fake = FakeFirecrackerApi.start(tmp.resolve("api.sock"));
                FirecrackerApiClient client = FirecrackerApiClient.create(fake.socket(), Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> client.send(PutMachineConfig.of(3, 512)))
                    .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.hint()).contains("2 or 4"));
            assertThat(fake.received()).isEmpty();
        }
    }

    @Test
    void memoryBelowTheMinimumOrOddWithHugePagesIsRefused() {
        assertInvalid(() -> PutMachineConfig.of(1, 64), "below kiln's minimum");
        assertInvalid(() -> new PutMachineConfig(2, 257, false, HugePages.TWO_MB, false), "huge pages");
        assertThatCode(() -> new PutMachineConfig(2, 257, false, HugePages.NONE, false)).doesNotThrowAnyException();
    }

    @Test
    void anApiSocketPathLongerThanSunPathIsRefusedByTheClient() {
        Path longPath = Path.of("/run/kiln/" + "d".repeat(100) + "/api.sock");
        assertThat(longPath.toString().length()).isGreaterThan(108);
        assertThatThrownBy(() -> FirecrackerApiClient.create(longPath, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.getMessage()).contains("sun_path").contains("108");
                    assertThat(e.hint()).contains("shorter");
                });
        Path exactlyTheLimit = Path.of("/" + "s".repeat(106));
        assertThatCode(() -> FirecrackerApiClient.create(exactlyTheLimit, Duration.ofSeconds(1)).close())
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"06:00:0a:14:00", "06:00:0a:14:00:02:03", "zz:00:0a:14:00:02", "06-00-0a-14-00-02",
            "0600.0a14.0002", ""})
    void invalidMacsAreRefused(String mac) {
        assertInvalid(() -> PutNetworkInterface.of("eth0", "tap0", mac), "MAC");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "root/fs", "eth 0", "eth-0", "a.b"})
    void idsOutsideFirecrackersAlphabetAreRefused(String id) {
        assertInvalid(() -> PutDrive.of(id, Path.of("/d.ext4"), false, false), "not a valid Firecracker id");
    }

    @Test
    void idsLongerThan64AreRefused() {
        assertInvalid(() -> PutDrive.of("x".repeat(65), Path.of("/d.ext4"), false, false), "id");
        assertThatCode(() -> PutDrive.of("x".repeat(64), Path.of("/d.ext4"), false, false)).doesNotThrowAnyException();
    }

    @Test
    void otherDeviceRulesAreChecked() {
        assertInvalid(() -> new PutVsock(2, Path.of("/v.sock")), "CID");
        assertInvalid(() -> PutNetworkInterface.of("eth0", "a-tap-name-too-long", "06:00:0a:14:00:02"), "interface name");
        assertInvalid(() -> new PutMmdsConfig(java.util.List.of("eth0"), Optional.of("10.0.0.1")), "link-local");
        assertInvalid(() -> new PatchDrive("rootfs", Optional.empty(), Optional.empty()), "changes nothing");
        assertInvalid(() -> new PutBalloon(64, true, Duration.ofMillis(1500), false, false), "whole number");
        assertInvalid(() -> new PutMmds(new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode()),
                "JSON object");
    }

    private static void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains(message);
            assertThat(e.hint()).isNotBlank();
        });
    }
}
