package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.RateLimiter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class VmSpecTest {
    private static final Path KERNEL = Path.of("/images/vmlinuz");
    private static final DriveSpec ROOT = DriveSpec.of("root", Path.of("/images/rootfs.ext4"), true);

    private static VmSpec spec(String name, int vcpus, String memory, List<DriveSpec> drives) {
        return new VmSpec(new VmId("vm-1"), name, vcpus, ByteSize.parse(memory), KERNEL, Optional.empty(), null, drives, List.of());
    }

    private static void assertInvalid(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
            assertThat(e.getMessage()).contains(messagePart);
            assertThat(e.hint()).isNotBlank();
        });
    }

    @Test
    void aValidSpecIsNormalized() {
        VmSpec s = new VmSpec(new VmId("vm-1"), "web-1.a_b", 1, VmSpec.MIN_MEMORY, Path.of("k/../vmlinuz"),
                Optional.of(Path.of("initrd.img")), "  kiln.id=vm-1  ", List.of(ROOT), List.of());
        assertThat(s.kernel()).isAbsolute().isEqualTo(Path.of("vmlinuz").toAbsolutePath());
        assertThat(s.initrd()).hasValueSatisfying(p -> assertThat(p).isAbsolute());
        assertThat(s.bootArgs()).isEqualTo("kiln.id=vm-1");
        assertThat(spec("x", 1, "64M", List.of()).bootArgs()).isEmpty();
    }

    @Test
    void memoryBelow64MiBIsRefused() {
        assertInvalid(() -> spec("web", 1, "63M", List.of(ROOT)), "memory 63M");
        assertInvalid(() -> spec("web", 1, "67108863", List.of(ROOT)), "memory");
        assertThat(spec("web", 1, "64M", List.of(ROOT)).memory()).isEqualTo(VmSpec.MIN_MEMORY);
    }

    @Test
    void vcpusMustBeOneToThe32() {
        assertInvalid(() -> spec("web", 0, "128M", List.of(ROOT)), "got 0");
        assertInvalid(() -> spec("web", -1, "128M", List.of(ROOT)), "got -1");
        assertInvalid(() -> spec("web", VmSpec.MAX_VCPUS + 1, "128M", List.of(ROOT)), "got 33");
        assertThat(spec("web", VmSpec.MAX_VCPUS, "128M", List.of(ROOT)).vcpus()).isEqualTo(32);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"-web", ".web", "web 1", "web/1", "web,1", "wéb",
            "a123456789012345678901234567890123456789012345678901234567890123"})
    void badNamesAreRefused(String name) {
        assertInvalid(() -> spec(name, 1, "128M", List.of(ROOT)), "invalid VM name");
    }

    @Test
    void driveIdsMustBeUnique() {
        DriveSpec again = DriveSpec.of("root", Path.of("/vols/other.img"), false);
        assertInvalid(() -> spec("web", 1, "128M", List.of(ROOT, again)), "unique");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Root", "1disk", "a,b", "data-1", "abcdefghijklmnopq"})
    void badDriveIdsAreRefused(String id) {
        assertInvalid(() -> DriveSpec.of(id, Path.of("/vols/d.img"), false), "invalid drive id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tap,script=/x", "a-tap-name-too-long", "tap 0", "tap/0"})
    void badTapNamesAreRefused(String tap) {
        assertInvalid(() -> new NicSpec("net0", tap, "06:00:ac:10:00:02", RateLimiter.none(), RateLimiter.none()),
                "invalid tap name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Net0", "net0,script=/x", "0net"})
    void badNicIdsAreRefused(String id) {
        assertInvalid(() -> new NicSpec(id, "ktap-1a2b3c4d", "06:00:ac:10:00:02", RateLimiter.none(), RateLimiter.none()),
                "invalid NIC id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "06:00:ac:10:00", "06-00-ac-10-00-02", "06:00:ac:10:00:0g", "06:00:ac:10:00:02,x"})
    void badMacsAreRefused(String mac) {
        assertInvalid(() -> new NicSpec("net0", "ktap-1a2b3c4d", mac, RateLimiter.none(), RateLimiter.none()),
                "invalid MAC");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"VM-1", "-vm", "vm_1", "a23456789012345678901234567890123"})
    void badVmIdsAreRefused(String id) {
        assertInvalid(() -> new VmId(id), "invalid VM id");
    }
}
