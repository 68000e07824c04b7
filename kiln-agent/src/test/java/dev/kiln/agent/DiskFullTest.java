package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A guest disk that fills up, made real with a small tmpfs as the state directory (root only). */
class DiskFullTest {
    @TempDir
    Path tmp;

    private Path state;
    private FakeRegistry registry;
    private byte[] layer;

    @BeforeEach
    void setUp() {
        assumeTrue(Privileges.isRoot(), "mounting a small tmpfs needs root");
        assumeTrue(Fixtures.busyboxPresent(), "no static busybox at /bin/busybox");
        state = tmp.resolve("state");
        registry = FakeRegistry.start();
        layer = Fixtures.busyboxLayer();
        registry.addImage("big", "1", List.of(layer), Map.of("Cmd", List.of("sh")), false);
    }

    @AfterEach
    void tearDown() {
        if (registry != null) {
            registry.close();
        }
        if (state != null && RootfsProvider.Overlay.isMountPoint(state)) {
            RootfsProvider.Command.run(List.of("umount", state.toString()));
        }
    }

    private void mountTmpfs(long bytes) throws IOException {
        Files.createDirectories(state);
        var r = RootfsProvider.Command.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", state.toString()));
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    private List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).toList();
        }
    }

    @Test
    void aDownloadThatFillsTheDiskIsClearAndLeavesNothing() throws IOException {
        mountTmpfs(layer.length / 2);
        ImagePuller puller = ImagePuller.create(state, Duration.ofSeconds(10));
        assertThatThrownBy(() -> puller.pull("big:1", URI.create(registry.url())))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.DISK_FULL);
                    assertThat(e.getMessage()).contains("disk is full");
                    assertThat(AgentException.httpStatus(e.code())).isEqualTo(507);
                });
        assertThat(files(state.resolve("blobs"))).allMatch(f -> !f.endsWith(".part"))
                .noneMatch(f -> f.contains(Digest.of(layer).hex()));
    }

    @Test
    void anUnpackThatFillsTheDiskIsClearAndLeavesNoImage() throws IOException {
        mountTmpfs(layer.length + (256 << 10));
        ImagePuller puller = ImagePuller.create(state, Duration.ofSeconds(10));
        var image = puller.pull("big:1", URI.create(registry.url()));
        ImageStore store = new ImageStore(state, LayerUnpacker.create(), puller);
        assertThatThrownBy(() -> store.rootfs(image))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.DISK_FULL));
        try (Stream<Path> s = Files.list(state.resolve("images"))) {
            assertThat(s).isEmpty();
        }
    }
}
