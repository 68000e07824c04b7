package dev.kiln.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.agent.AgentErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The guest's unpacker against layers built to escape: whatever it refuses or accepts, nothing outside the root
 * changes (every path, type, mode, link target and content hash of the tree around it is compared), and an image
 * whose layer is refused leaves no image, not even a partial one, in the guest's store.
 */
class HostileLayerTest {
    @TempDir
    Path tmp;

    private Path root;
    private Map<String, String> outsideBefore;

    @BeforeEach
    void aRootBesideThingsWorthStealing() throws IOException {
        root = Files.createDirectories(tmp.resolve("a/b/root"));
        Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(tmp.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(tmp.resolve("etc/shadow"), "root:secret\n");
        Files.writeString(tmp.resolve("a/etc-passwd"), "beside the root\n");
        outsideBefore = outsideTheRoot();
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("dot-dot", new TarBuilder().file("../../etc/passwd", "pwned").tar(), "'..' component"),
                Arguments.of("dot-dot-deep", new TarBuilder().dir("etc").file("etc/../../../etc/passwd", "pwned").tar(),
                        "'..' component"),
                Arguments.of("absolute", new TarBuilder().file("/etc/passwd", "pwned").tar(), "absolute path"),
                Arguments.of("hardlink-absolute", new TarBuilder().hardlink("stolen", "/etc/shadow").tar(), "absolute path"),
                Arguments.of("hardlink-dot-dot", new TarBuilder().hardlink("stolen", "../../../etc/shadow").tar(),
                        "'..' component"),
                Arguments.of("nul-in-name", paxNamed("etc/pass\0wd"), "NUL"),
                Arguments.of("nul-in-symlink-target", paxLinked("etc/x", "/etc/pass\0wd"), "NUL"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedLayersChangeNothingOutsideTheRoot(String name, byte[] layer, String why) throws IOException {
        assertThatThrownBy(() -> LayerUnpacker.create().apply(TarBuilder.stream(layer), root))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.BAD_IMAGE);
                    assertThat(e.getMessage()).startsWith("refused layer: ").contains(why);
                    assertThat(e.hint()).contains("hostile or broken layer");
                });
        assertThat(outsideTheRoot()).isEqualTo(outsideBefore);
    }

    @Test
    void aSymlinkUpAndOutThenAFileThroughItLandsInsideTheRoot() throws IOException {
        byte[] layer = new TarBuilder().symlink("x", "../../..").file("x/etc/passwd", "inside").tar();
        LayerUnpacker.create().apply(TarBuilder.stream(layer), root);
        assertThat(root.resolve("etc/passwd")).hasContent("inside");
        assertThat(Files.readSymbolicLink(root.resolve("x"))).isEqualTo(Path.of("../../.."));
        assertThat(outsideTheRoot()).isEqualTo(outsideBefore);
    }

    @Test
    void aHardLinkToASymlinkThatPointsOutLinksTheSymlinkNotItsTarget() throws IOException {
        Path hostShadow = tmp.resolve("etc/shadow").toAbsolutePath();
        byte[] layer = new TarBuilder().symlink("shadow-link", hostShadow.toString()).hardlink("stolen", "shadow-link").tar();
        LayerUnpacker.create().apply(TarBuilder.stream(layer), root);
        // the hard link shares the symlink's inode: inside the container it resolves within the container's root
        assertThat(Files.isSymbolicLink(root.resolve("stolen"))).isTrue();
        assertThat(Files.readSymbolicLink(root.resolve("stolen"))).isEqualTo(hostShadow);
        assertThat(outsideTheRoot()).isEqualTo(outsideBefore);
    }

    @Test
    void devicesAndFifosAreSkippedNotCreated() throws IOException {
        byte[] layer = new TarBuilder().dir("dev").charDevice("dev/mem", 1, 1).charDevice("dev/kvm", 10, 232)
                .fifo("dev/pipe").file("dev/.keep", "").tar();
        LayerUnpacker.Stats stats = LayerUnpacker.create().apply(TarBuilder.stream(layer), root);
        assertThat(stats.skippedDevices()).isEqualTo(3);
        try (Stream<Path> dev = Files.list(root.resolve("dev"))) {
            assertThat(dev.map(p -> p.getFileName().toString())).containsExactly(".keep");
        }
        assertThat(outsideTheRoot()).isEqualTo(outsideBefore);
    }

    @Test
    void setuidFilesKeepTheirModeInsideTheGuest() throws IOException {
        // a decision, not an accident: setuid binaries (passwd, su, ping) are normal in a rootfs, and the guest VM,
        // not the container, is the isolation boundary (docs/ARCHITECTURE.md, "Hostile input")
        byte[] layer = new TarBuilder().dir("bin").file("bin/su", "elf".getBytes(StandardCharsets.UTF_8), 04755).tar();
        LayerUnpacker.create().apply(TarBuilder.stream(layer), root);
        assertThat((Integer) Files.getAttribute(root.resolve("bin/su"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777)
                .isEqualTo(04755);
    }

    @Test
    void anImageWithARefusedLayerLeavesNoImageInTheStore() throws IOException {
        Path state = Files.createDirectories(tmp.resolve("state"));
        byte[] good = new TarBuilder().dir("etc").file("etc/motd", "hi").tar();
        byte[] evil = new TarBuilder().file("../../../etc/passwd", "pwned").tar();
        Path blobs = Files.createDirectories(tmp.resolve("blobs"));
        Files.write(blobs.resolve("good"), good);
        Files.write(blobs.resolve("evil"), evil);
        ImagePuller puller = new ImagePuller() {
            @Override
            public PulledImage pull(String reference, URI registry) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Path blob(String digest) {
                return blobs.resolve(digest.equals(Digest.of(good).toString()) ? "good" : "evil");
            }
        };
        var image = new ImagePuller.PulledImage("evil:1", Digest.of(evil).toString(), Digest.of(evil).toString(), null,
                List.of(new ImagePuller.Layer(Digest.of(good).toString(), good.length, "application/vnd.oci.image.layer.v1.tar"),
                        new ImagePuller.Layer(Digest.of(evil).toString(), evil.length, "application/vnd.oci.image.layer.v1.tar")),
                2);
        Map<String, String> everythingBefore = tree(tmp);
        ImageStore store = new ImageStore(state, LayerUnpacker.create(), puller);
        assertThatThrownBy(() -> store.rootfs(image))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentErrorCode.BAD_IMAGE));
        Map<String, String> everythingAfter = tree(tmp);
        everythingAfter.keySet().removeIf(p -> p.equals("state/images")); // the store's own (empty) directory
        assertThat(everythingAfter).isEqualTo(everythingBefore);
    }

    private Map<String, String> outsideTheRoot() {
        Map<String, String> all = tree(tmp);
        all.keySet().removeIf(p -> p.startsWith("a/b/root/"));
        return all;
    }

    /** Every path under {@code dir} (links not followed) with its type, mode and content hash or link target. */
    static Map<String, String> tree(Path dir) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                String mode = Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS));
                String what;
                if (Files.isSymbolicLink(p)) {
                    what = "link " + Files.readSymbolicLink(p);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    what = "dir";
                } else {
                    what = "file " + Digest.of(Files.readAllBytes(p));
                }
                out.put(dir.relativize(p).toString(), mode + " " + what);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static byte[] paxNamed(String name) {
        return pax(name, null);
    }

    private static byte[] paxLinked(String name, String target) {
        return pax(name, target);
    }

    /**
     * A name or link target with a NUL cannot be written in a ustar header, but a PAX record carries it (Commons
     * Compress would cut it at the NUL when writing, so the 'x' header is written by hand).
     */
    private static byte[] pax(String name, String symlinkTarget) {
        var records = new ByteArrayOutputStream();
        records.writeBytes(paxRecord("path", name));
        if (symlinkTarget != null) {
            records.writeBytes(paxRecord("linkpath", symlinkTarget));
        }
        byte[] body = records.toByteArray();
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            var x = new TarArchiveEntry("PaxHeaders/placeholder", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
            x.setSize(body.length);
            tar.putArchiveEntry(x);
            tar.write(body);
            tar.closeArchiveEntry();
            var e = symlinkTarget == null ? new TarArchiveEntry("placeholder", true)
                    : new TarArchiveEntry("placeholder", TarConstants.LF_SYMLINK, true);
            e.setMode(symlinkTarget == null ? 0100644 : 0120777);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            tar.finish();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** {@code "<length> key=value\n"}, the length counting its own digits. */
    private static byte[] paxRecord(String key, String value) {
        int rest = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
        int length = rest + 1;
        while (String.valueOf(length).length() + rest != length) {
            length++;
        }
        return (length + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
