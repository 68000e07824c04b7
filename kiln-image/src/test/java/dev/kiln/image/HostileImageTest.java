package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crafted images whose layer tries to write outside the root, imported as an OCI layout directory and as a tar of
 * one: each is refused with an UNSAFE_ENTRY error that names the layer and the entry, the store is as it was (no
 * partial image, no staging left), and nothing in the directory tree around the store changed, compared path by
 * path (type, mode, content hash or link target, links not followed).
 */
class HostileImageTest {
    @TempDir
    Path tmp;

    private ImageStore store;
    private Path sources;

    @BeforeEach
    void aStoreBesideThingsWorthStealing() throws IOException {
        Path var = Files.createDirectories(tmp.resolve("var/lib/kiln"));
        store = ImageStore.open(var.resolve("images"));
        store.importFrom(Fixtures.ociLayout(tmp.resolve("good"), Fixtures.image(Fixtures.standardLayers(), true), "good:1"));
        Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(tmp.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(tmp.resolve("etc/shadow"), "root:secret\n");
        sources = Files.createDirectories(tmp.resolve("sources"));
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("dot-dot", new Fixtures.Tar().file("../../etc/passwd", "pwned").bytes(),
                        "entry '../../etc/passwd' has a '..' component"),
                Arguments.of("absolute", new Fixtures.Tar().file("/etc/passwd", "pwned").bytes(),
                        "entry '/etc/passwd' is an absolute path"),
                Arguments.of("symlink-up-then-through", new Fixtures.Tar().symlink("x", "../../..")
                        .file("x/etc/passwd", "pwned").bytes(), "entry 'x/etc/passwd' would be written through the symbolic link 'x'"),
                Arguments.of("hardlink-absolute", new Fixtures.Tar().hardlink("stolen", "/etc/shadow").bytes(),
                        "entry '/etc/shadow' is an absolute path"),
                Arguments.of("hardlink-dot-dot", new Fixtures.Tar().hardlink("stolen", "../../etc/shadow").bytes(),
                        "has a '..' component"),
                Arguments.of("hardlink-through-symlink", new Fixtures.Tar().symlink("e", "/etc")
                        .hardlink("stolen", "e/shadow").bytes(), "entry 'stolen' is a hard link through the symbolic link 'e'"),
                Arguments.of("hardlink-to-nothing", new Fixtures.Tar().hardlink("stolen", "etc/shadow").bytes(),
                        "entry 'stolen' is a hard link to 'etc/shadow', which is not a file of this layer"),
                Arguments.of("char-device", new Fixtures.Tar().dir("dev").charDevice("dev/mem").bytes(),
                        "entry 'dev/mem' is a device node"),
                Arguments.of("block-device", new Fixtures.Tar().dir("dev").blockDevice("dev/sda").bytes(),
                        "entry 'dev/sda' is a device node"),
                Arguments.of("fifo", new Fixtures.Tar().fifo("pipe").bytes(), "entry 'pipe' is a FIFO"),
                Arguments.of("symlink-target-with-nul", new Fixtures.Tar().symlink("l", "/etc/pass\0wd" + "/x".repeat(60))
                        .bytes(), "entry 'l' is a symbolic link whose target contains a NUL character"),
                Arguments.of("symlink-empty-target", new Fixtures.Tar().symlink("l", "").bytes(),
                        "entry 'l' is a symbolic link with an empty target"));
    }

    @ParameterizedTest(name = "{0} (layout)")
    @MethodSource("hostile")
    void refusedAsALayoutDirectory(String name, byte[] layer, String why) {
        Path layout = Fixtures.ociLayout(sources.resolve(name), Fixtures.image(List.of(new Fixtures.Tar().dir("etc")
                .file("etc/hostname", "fine").bytes(), layer), true), "evil:1");
        refusedAndNothingChanged(layout, why);
    }

    @ParameterizedTest(name = "{0} (archive)")
    @MethodSource("hostile")
    void refusedAsAnArchive(String name, byte[] layer, String why) {
        Path layout = Fixtures.ociLayout(sources.resolve(name + "-layout"), Fixtures.image(List.of(layer), false), "evil:1");
        Path archive = Fixtures.tarOf(layout, sources.resolve(name + ".tar.gz"), true);
        refusedAndNothingChanged(archive, why);
    }

    @Test
    void setuidFilesAndAbsoluteSymlinksAreStoredAsTheyAre() {
        // decisions, not accidents: both are normal in a root file system; an absolute symlink resolves inside the
        // container's root at run time, and the microVM, not the container, is the isolation boundary
        byte[] layer = new Fixtures.Tar().dir("bin").file("bin/su", "elf", 04755).symlink("bin/sh", "/bin/busybox")
                .bytes();
        store.importFrom(Fixtures.ociLayout(sources.resolve("setuid"), Fixtures.image(List.of(layer), true), "setuid:1"));
        assertThat(store.inspect("setuid:1").layers()).hasSize(1);
    }

    @Test
    void hardLinksNeedATargetInThisOrALowerLayer() {
        byte[] lower = new Fixtures.Tar().dir("a").file("a/x", "x").bytes();
        byte[] linkDown = new Fixtures.Tar().dir("b").hardlink("b/x", "a/x").file("b/y", "y").hardlink("b/y2", "b/y").bytes();
        store.importFrom(Fixtures.ociLayout(sources.resolve("links"), Fixtures.image(List.of(lower, linkDown), true), "links:1"));
        assertThat(store.inspect("links:1").layers()).hasSize(2);

        byte[] whiteout = new Fixtures.Tar().file("a/.wh.x", "").bytes();
        byte[] linkToRemoved = new Fixtures.Tar().hardlink("c", "a/x").bytes();
        refusedAndNothingChanged(Fixtures.ociLayout(sources.resolve("removed"),
                Fixtures.image(List.of(lower, whiteout, linkToRemoved), true), "removed:1"), "is a hard link to 'a/x'");
        byte[] opaque = new Fixtures.Tar().file("a/.wh..wh..opq", "").bytes();
        refusedAndNothingChanged(Fixtures.ociLayout(sources.resolve("opaque"),
                Fixtures.image(List.of(lower, opaque, linkToRemoved), true), "opaque:1"), "is a hard link to 'a/x'");
        byte[] linkBeforeTarget = new Fixtures.Tar().hardlink("d", "e").file("e", "e").bytes();
        refusedAndNothingChanged(Fixtures.ociLayout(sources.resolve("order"),
                Fixtures.image(List.of(linkBeforeTarget), true), "order:1"), "is a hard link to 'e'");
    }

    static Stream<Arguments> whiteoutThenLink() {
        return Stream.of(
                Arguments.of("whiteout", new Fixtures.Tar().file("a/.wh.x", "").hardlink("c", "a/x").bytes(),
                        "entry 'c' is a hard link to 'a/x', which the whiteout 'a/.wh.x' before it in this layer removed"),
                Arguments.of("opaque", new Fixtures.Tar().file("a/.wh..wh..opq", "").hardlink("c", "a/x").bytes(),
                        "entry 'c' is a hard link to 'a/x', which the whiteout 'a/.wh..wh..opq' before it in this layer "
                                + "removed"),
                Arguments.of("whited-out-directory", new Fixtures.Tar().file(".wh.a", "").hardlink("c", "a/x").bytes(),
                        "entry 'c' is a hard link to 'a/x', which the whiteout '.wh.a' before it in this layer removed"));
    }

    @ParameterizedTest(name = "{0} (layout)")
    @MethodSource("whiteoutThenLink")
    void aHardLinkToWhatAWhiteoutBeforeItInTheSameLayerRemovedIsRefused(String name, byte[] layer, String why) {
        // the guest applies a whiteout where it stands in the tar, so the link would find nothing and the guest would
        // refuse the layer; the host refuses it at import instead of storing an image no guest can unpack
        byte[] lower = new Fixtures.Tar().dir("a").file("a/x", "x").bytes();
        refusedAndNothingChanged(Fixtures.ociLayout(sources.resolve(name),
                Fixtures.image(List.of(lower, layer), true), "evil:1"), why);
    }

    @ParameterizedTest(name = "{0} (archive)")
    @MethodSource("whiteoutThenLink")
    void aHardLinkToWhatAWhiteoutBeforeItInTheSameLayerRemovedIsRefusedInAnArchive(String name, byte[] layer,
                                                                                    String why) {
        byte[] lower = new Fixtures.Tar().dir("a").file("a/x", "x").bytes();
        Path layout = Fixtures.ociLayout(sources.resolve(name + "-layout"), Fixtures.image(List.of(lower, layer), false),
                "evil:1");
        refusedAndNothingChanged(Fixtures.tarOf(layout, sources.resolve(name + ".tar"), false), why);
    }

    @Test
    void aHardLinkBeforeTheWhiteoutOrToAFileMadeAgainAfterItIsStored() {
        // both unpack in the guest: the link is made while its target is there, or the target is this layer's own
        byte[] lower = new Fixtures.Tar().dir("a").file("a/x", "x").bytes();
        byte[] linkFirst = new Fixtures.Tar().hardlink("c", "a/x").file("a/.wh.x", "").bytes();
        byte[] madeAgain = new Fixtures.Tar().file("a/.wh.x", "").file("a/x", "new").hardlink("c", "a/x").bytes();
        store.importFrom(Fixtures.ociLayout(sources.resolve("link-first"), Fixtures.image(List.of(lower, linkFirst), true),
                "link-first:1"));
        store.importFrom(Fixtures.ociLayout(sources.resolve("made-again"), Fixtures.image(List.of(lower, madeAgain), true),
                "made-again:1"));
        assertThat(store.inspect("link-first:1").layers()).hasSize(2);
        assertThat(store.inspect("made-again:1").layers()).hasSize(2);
    }

    private void refusedAndNothingChanged(Path source, String why) {
        Map<String, String> before = tree(tmp);
        List<ImageSummary> images = store.list();
        assertThatThrownBy(() -> store.importFrom(source))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.code()).as(e.toString()).isEqualTo(ImageError.UNSAFE_ENTRY);
                    assertThat(e.getMessage()).startsWith("layer ").contains(why);
                });
        assertThat(tree(tmp)).isEqualTo(before);
        assertThat(store.list()).isEqualTo(images);
    }

    /** Every path under {@code dir} (links not followed) with its type, mode and content hash or link target. */
    private static Map<String, String> tree(Path dir) {
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
}
