package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TarLayerUnpackerTest {
    @TempDir
    Path tmp;

    private final LayerUnpacker unpacker = LayerUnpacker.create();

    private Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root"));
    }

    private LayerUnpacker.Stats apply(Path root, byte[] layer) {
        return unpacker.apply(TarBuilder.stream(layer), root);
    }

    private void assertRefused(byte[] layer, String why) throws IOException {
        Path root = root();
        assertThatThrownBy(() -> apply(root, layer))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.BAD_IMAGE);
                    assertThat(e.getMessage()).contains(why);
                });
    }

    @Test
    void plainAndGzipLayersUnpackWithModes() throws IOException {
        Path root = root();
        var stats = apply(root, new TarBuilder().dir("./etc").file("./etc/motd", "hi").file("bin/tool", "x".getBytes(), 0755)
                .symlink("bin/alias", "tool").gzip());
        apply(root, new TarBuilder().file("etc/other", "plain").tar());
        assertThat(root.resolve("etc/motd")).hasContent("hi");
        assertThat(root.resolve("etc/other")).hasContent("plain");
        assertThat(Files.readSymbolicLink(root.resolve("bin/alias"))).isEqualTo(Path.of("tool"));
        assertThat((Integer) Files.getAttribute(root.resolve("bin/tool"), "unix:mode") & 0777).isEqualTo(0755);
        assertThat(stats).isEqualTo(new LayerUnpacker.Stats(2, 1, 1, 0, 0, 0));
    }

    @Test
    void whiteoutsRemoveWhatLowerLayersHad() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().file("etc/a", "a").file("etc/b", "b").file("var/x/1", "1").file("var/x/2", "2").tar());
        var stats = apply(root, new TarBuilder().file("etc/.wh.a", "").file("var/.wh.x", "").file("etc/c", "c").tar());
        assertThat(root.resolve("etc/a")).doesNotExist();
        assertThat(root.resolve("etc/.wh.a")).doesNotExist();
        assertThat(root.resolve("etc/b")).exists();
        assertThat(root.resolve("var/x")).doesNotExist();
        assertThat(stats.whiteouts()).isEqualTo(2);
    }

    @Test
    void anOpaqueDirectoryHidesLowerLayersButKeepsItsOwnLayer() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().file("app/old1", "1").file("app/sub/old2", "2").tar());
        // the new file comes before the opaque marker in the tar: it must survive
        apply(root, new TarBuilder().dir("app").file("app/new", "n").file("app/.wh..wh..opq", "").tar());
        try (var children = Files.list(root.resolve("app"))) {
            assertThat(children.map(p -> p.getFileName().toString())).containsExactly("new");
        }
    }

    @Test
    void aWhiteoutDoesNotRemoveItsOwnLayersFile() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().file("f", "new").file(".wh.f", "").tar());
        assertThat(root.resolve("f")).hasContent("new");
    }

    @Test
    void refusesDotDot() throws IOException {
        assertRefused(new TarBuilder().file("../escape", "x").tar(), "'..'");
        assertThat(tmp.resolve("escape")).doesNotExist();
        assertRefused(new TarBuilder().file("a/../../escape", "x").tar(), "'..'");
    }

    @Test
    void refusesAbsoluteNames() throws IOException {
        assertRefused(new TarBuilder().file("/etc/evil", "x").tar(), "absolute");
    }

    @Test
    void refusesHardLinksThatEscape() throws IOException {
        assertRefused(new TarBuilder().hardlink("passwd", "../../../../etc/passwd").tar(), "'..'");
        assertRefused(new TarBuilder().hardlink("passwd", "/etc/passwd").tar(), "absolute");
        assertRefused(new TarBuilder().hardlink("x", "missing").tar(), "not in the layers");
    }

    @Test
    void aWhiteoutTakesEffectWhereItStandsForTheHardLinksAfterIt() throws IOException {
        // the host's LayerScanner decides the same way (HostileImageTest): refused after the whiteout, fine before it
        Path root = root();
        apply(root, new TarBuilder().file("a/x", "x").tar());
        assertThatThrownBy(() -> apply(root, new TarBuilder().file("a/.wh.x", "").hardlink("c", "a/x").tar()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.getMessage())
                        .contains("hard link 'c' points at 'a/x', which is not in the layers so far"));

        Path other = Files.createDirectories(tmp.resolve("other"));
        apply(other, new TarBuilder().file("a/x", "x").tar());
        apply(other, new TarBuilder().hardlink("c", "a/x").file("a/.wh.x", "").tar());
        assertThat(other.resolve("c")).hasContent("x");
        assertThat(other.resolve("a/x")).doesNotExist();
    }

    @Test
    void hardLinksThroughASymlinkStayInside() throws IOException {
        Path root = root();
        // etc -> /etc: the link target resolves inside the root, never to the host's /etc/passwd
        apply(root, new TarBuilder().symlink("hostetc", "/etc").dir("etc").file("etc/passwd", "inside").tar());
        apply(root, new TarBuilder().hardlink("copy", "hostetc/passwd").tar());
        assertThat(root.resolve("copy")).hasContent("inside");
    }

    @Test
    void neverWritesThroughASymlinkOutOfTheRoot() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path root = root();
        apply(root, new TarBuilder().symlink("evil", outside.toString()).symlink("up", "../../..").tar());
        apply(root, new TarBuilder().file("evil/planted", "x").file("up/planted2", "y").tar());
        assertThat(outside.resolve("planted")).doesNotExist();
        assertThat(tmp.resolve("planted2")).doesNotExist();
        // absolute link targets are resolved from the root: the file lands under root/<outside path>
        assertThat(root.resolve(outside.toString().substring(1)).resolve("planted")).hasContent("x");
        assertThat(root.resolve("planted2")).hasContent("y");
    }

    @Test
    void anEntryNamedLikeALinkReplacesTheLink() throws IOException {
        Path outside = Files.createFile(tmp.resolve("victim"));
        Path root = root();
        apply(root, new TarBuilder().symlink("target", outside.toString()).tar());
        apply(root, new TarBuilder().file("target", "replaced").tar());
        assertThat(outside).isEmptyFile();
        assertThat(Files.isSymbolicLink(root.resolve("target"))).isFalse();
        assertThat(root.resolve("target")).hasContent("replaced");
    }

    @Test
    void whiteoutsDoNotFollowLinksOut() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("keep"));
        Files.writeString(outside.resolve("precious"), "p");
        Path root = root();
        apply(root, new TarBuilder().symlink("d", outside.toString()).tar());
        apply(root, new TarBuilder().file("d/.wh.precious", "").file("d/.wh..wh..opq", "").tar());
        assertThat(outside.resolve("precious")).hasContent("p");
    }

    @Test
    void devicesAndFifosAreSkipped() throws IOException {
        Path root = root();
        var stats = apply(root, new TarBuilder().dir("dev").charDevice("dev/mem", 1, 1).fifo("dev/pipe").tar());
        assertThat(root.resolve("dev/mem")).doesNotExist();
        assertThat(Files.exists(root.resolve("dev/pipe"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(stats.skippedDevices()).isEqualTo(2);
    }

    @Test
    void aParentThatIsAFileIsRefused() throws IOException {
        Path root = root();
        apply(root, new TarBuilder().file("plain", "x").tar());
        assertThatThrownBy(() -> apply(root, new TarBuilder().file("plain/child", "y").tar()))
                .hasMessageContaining("not a directory");
    }

    @Test
    void zstdIsRefusedClearly() throws IOException {
        assertRefused(new byte[]{0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0}, "zstd");
    }
}
