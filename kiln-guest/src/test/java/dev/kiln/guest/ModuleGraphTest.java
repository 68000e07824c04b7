package dev.kiln.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModuleGraphTest {
    private static final String DEP = """
            kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
            kernel/net/core/failover.ko:
            kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
            kernel/lib/crc16.ko:
            kernel/fs/mbcache.ko:
            kernel/fs/jbd2/jbd2.ko:
            kernel/crypto/crc32c_generic.ko:
            kernel/drivers/input/evdev.ko:
            """;

    @Test
    void dependenciesComeFirstAndEachModuleOnce() {
        List<String> order = ModuleGraph.parse(DEP, "").loadOrder(
                List.of("virtio_mmio", "virtio_blk", "virtio_net", "ext4", "crc32c_generic", "evdev"))
                .stream().map(ModuleGraph::moduleName).toList();

        assertThat(order).containsExactly("virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "failover",
                "net_failover", "virtio_net", "jbd2", "mbcache", "crc16", "ext4", "crc32c_generic", "evdev");
    }

    @Test
    void flattenedDependencyListsLoadLastToFirst() {
        // Only the list order says that y must come before x (as depmod writes it for modprobe).
        String dep = "m.ko: x.ko y.ko\nx.ko:\ny.ko:\n";

        assertThat(ModuleGraph.parse(dep, "").loadOrder(List.of("m"))).containsExactly("y.ko", "x.ko", "m.ko");
    }

    @Test
    void builtinModulesAreLeftOut() {
        String builtin = "kernel/drivers/acpi/button.ko\n";

        assertThat(ModuleGraph.parse(DEP, builtin).loadOrder(List.of("button", "evdev")))
                .containsExactly("kernel/drivers/input/evdev.ko");
    }

    @Test
    void namesAreNormalizedLikeTheKernelDoes() {
        assertThat(ModuleGraph.moduleName("kernel/arch/x86/crypto/crc32c-intel.ko")).isEqualTo("crc32c_intel");
        assertThat(ModuleGraph.moduleName("kernel/fs/ext4/ext4.ko.zst")).isEqualTo("ext4");
        assertThat(ModuleGraph.parse("kernel/crc32c-intel.ko:\n", "").loadOrder(List.of("crc32c_intel")))
                .containsExactly("kernel/crc32c-intel.ko");
    }

    @Test
    void cycleIsAnError() {
        String dep = "a.ko: b.ko\nb.ko: c.ko\nc.ko: a.ko\n";

        assertThatThrownBy(() -> ModuleGraph.parse(dep, "").loadOrder(List.of("a")))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.MODULES_INVALID);
                    assertThat(e.getMessage()).contains("cycle").contains("a -> b -> c -> a");
                });
    }

    @Test
    void unknownModuleIsNotFound() {
        assertThatThrownBy(() -> ModuleGraph.parse(DEP, "").loadOrder(List.of("nope")))
                .isInstanceOfSatisfying(GuestException.class,
                        e -> assertThat(e.code()).isEqualTo(GuestError.MODULES_NOT_FOUND));
    }

    @Test
    void undescribedDependencyIsInvalid() {
        assertThatThrownBy(() -> ModuleGraph.parse("a.ko: gone.ko\n", "").loadOrder(List.of("a")))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.MODULES_INVALID);
                    assertThat(e.getMessage()).contains("gone.ko");
                });
    }

    @Test
    void malformedLineIsInvalid() {
        assertThatThrownBy(() -> ModuleGraph.parse("no colon here\n", ""))
                .isInstanceOfSatisfying(GuestException.class,
                        e -> assertThat(e.code()).isEqualTo(GuestError.MODULES_INVALID));
    }

    @Test
    void moduleFileMissingFromTheTreeIsInvalid(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("modules.dep"), "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n");
        Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(dir.resolve("kernel/a.ko"), "module a");

        assertThatThrownBy(() -> KernelLocator.modules(dir, List.of("a")))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.MODULES_INVALID);
                    assertThat(e.getMessage()).contains("kernel/b.ko");
                });
    }

    @Test
    void compressedModulesAreRefusedClearly(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("modules.dep"), "kernel/a.ko.xz:\n");
        Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(dir.resolve("kernel/a.ko.xz"), "xz data");

        assertThatThrownBy(() -> KernelLocator.modules(dir, List.of("a")))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.MODULES_INVALID);
                    assertThat(e.getMessage()).contains("compressed");
                });
    }

    @Test
    void modulesResolveToFilesInLoadOrder(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("modules.dep"), "kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n");
        Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(dir.resolve("kernel/a.ko"), "a");
        Files.writeString(dir.resolve("kernel/b.ko"), "b");

        assertThat(KernelLocator.modules(dir, List.of("a")))
                .containsExactly(new KernelModule("b", "kernel/b.ko", dir.resolve("kernel/b.ko")),
                        new KernelModule("a", "kernel/a.ko", dir.resolve("kernel/a.ko")));
    }
}
