package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad or hostile input is rejected with a clear error and leaves the store byte for byte as it was. */
class BadInputTest {
    @TempDir
    Path tmp;

    private ImageStore store;
    private Map<String, String> before;

    @BeforeEach
    void storeWithOneImage() {
        store = ImageStore.open(tmp.resolve("store"));
        store.importFrom(Fixtures.ociLayout(tmp.resolve("good"), Fixtures.image(Fixtures.standardLayers(), true), "good:1"));
        before = Fixtures.snapshot(store.root());
    }

    private void rejected(Path source, ImageError code, String messagePart) {
        assertThatThrownBy(() -> store.importFrom(source))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.code()).as(e.toString()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(messagePart);
                });
        assertThat(Fixtures.snapshot(store.root())).isEqualTo(before);
        assertThat(store.list()).singleElement().satisfies(s -> assertThat(s.references()).containsExactly("good:1"));
    }

    // ---- hostile layer entries ---------------------------------------------------------------------------

    static Stream<Arguments> hostileLayers() {
        return Stream.of(
                Arguments.of("dot-dot", List.of(new Fixtures.Tar().file("../escape", "x").bytes()), "'..' component"),
                Arguments.of("dot-dot-inside", List.of(new Fixtures.Tar().file("etc/../../escape", "x").bytes()), "'..' component"),
                Arguments.of("absolute", List.of(new Fixtures.Tar().file("/etc/passwd", "x").bytes()), "absolute path"),
                Arguments.of("char-device", List.of(new Fixtures.Tar().charDevice("dev/null").bytes()), "device node"),
                Arguments.of("block-device", List.of(new Fixtures.Tar().blockDevice("dev/sda").bytes()), "device node"),
                Arguments.of("fifo", List.of(new Fixtures.Tar().fifo("run/pipe").bytes()), "FIFO"),
                Arguments.of("hardlink-dot-dot", List.of(new Fixtures.Tar().hardlink("passwd", "../etc/passwd").bytes()), "'..' component"),
                Arguments.of("hardlink-absolute", List.of(new Fixtures.Tar().hardlink("passwd", "/etc/passwd").bytes()), "absolute path"),
                Arguments.of("through-symlink", List.of(new Fixtures.Tar().symlink("etc", "/host-etc").file("etc/passwd", "x").bytes()),
                        "written through the symbolic link 'etc'"),
                Arguments.of("through-relative-symlink", List.of(new Fixtures.Tar().symlink("up", "../../..").file("up/x", "x").bytes()),
                        "written through the symbolic link 'up'"),
                Arguments.of("through-lower-symlink", List.of(new Fixtures.Tar().symlink("a", "/").bytes(),
                        new Fixtures.Tar().dir("b").file("a/etc/shadow", "x").bytes()), "through the symbolic link 'a'"),
                Arguments.of("hardlink-through-symlink", List.of(new Fixtures.Tar().symlink("a", "/etc").bytes(),
                        new Fixtures.Tar().hardlink("stolen", "a/shadow").bytes()), "hard link through the symbolic link 'a'"),
                Arguments.of("symlink-whited-out-in-same-layer", List.of(new Fixtures.Tar().symlink("a", "/etc")
                        .file(".wh.a", "").file("a/x", "x").bytes()), "through the symbolic link 'a'"),
                Arguments.of("symlink-of-this-layer-survives-own-whiteout", List.of(new Fixtures.Tar().symlink("a", "/etc")
                        .file(".wh.a", "").bytes(), new Fixtures.Tar().file("a/x", "x").bytes()), "through the symbolic link 'a'"),
                Arguments.of("whiteout-of-nothing", List.of(new Fixtures.Tar().file("etc/.wh.", "").bytes()), "whiteout of ''"),
                Arguments.of("whiteout-of-dot-dot", List.of(new Fixtures.Tar().file("etc/.wh...", "").bytes()), "whiteout of '..'"),
                Arguments.of("aufs-metadata", List.of(new Fixtures.Tar().file(".wh..wh.plnk/1", "").dir(".wh..wh.aufs").bytes()), "AUFS"),
                Arguments.of("whiteout-directory", List.of(new Fixtures.Tar().dir("etc/.wh.foo").bytes()), "not a regular file"),
                Arguments.of("root-as-file", List.of(new Fixtures.Tar().file(".", "x").bytes()), "names the root"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileLayers")
    void hostileLayerIsRejected(String name, List<byte[]> layers, String why) {
        Path layout = Fixtures.ociLayout(tmp.resolve(name), Fixtures.image(layers, true), "evil:latest");
        rejected(layout, ImageError.UNSAFE_ENTRY, why);
    }

    @Test
    void hostileLayerInLegacyDockerSaveIsRejected() {
        Fixtures.Image image = Fixtures.image(List.of(new Fixtures.Tar().file("../../etc/cron.d/x", "x").bytes()), false);
        rejected(Fixtures.dockerSaveLegacy(tmp.resolve("evil.tar"), List.of(image), List.of(List.of("evil:1"))),
                ImageError.UNSAFE_ENTRY, "'..' component");
    }

    @Test
    void normalRootFileSystemsPass() {
        byte[] lower = new Fixtures.Tar().dir("usr").dir("usr/bin").symlink("bin", "usr/bin").symlink("lib", "/usr/lib")
                .symlink("etc/alternatives/x", "../../../../../usr/bin/x").symlink("rel", "../..").bytes();
        // replacing a lower symlink with a directory, then writing under it, is fine: nothing goes through a link
        byte[] upper = new Fixtures.Tar().dir("lib").file("lib/libc.so", "elf").file("usr/bin/.wh.old", "")
                .file("usr/.wh..wh..opq", "").file("usr/bin/tool", "x").hardlink("usr/bin/tool2", "usr/bin/tool").bytes();
        store.importFrom(Fixtures.ociLayout(tmp.resolve("fine"), Fixtures.image(List.of(lower, upper), true), "fine:1"));
        assertThat(store.inspect("fine:1").layers()).hasSize(2);
    }

    @Test
    void leadingSlashOfAPaxLongNameIsReadAsRelative() {
        // Commons Compress strips a leading '/' from PAX and GNU long names as it reads them (a plain ustar name
        // keeps it and is rejected above), so this entry is checked, and must be unpacked, as d.../passwd under
        // the root. The guest's unpacker joins every name under its root for the same reason.
        String longName = "/" + "d".repeat(120) + "/passwd";
        Fixtures.Image image = Fixtures.image(List.of(new Fixtures.Tar().file(longName, "x").bytes()), true);
        store.importFrom(Fixtures.ociLayout(tmp.resolve("pax"), image, "pax:1"));
        assertThat(store.inspect("pax:1").layers()).hasSize(1);
    }

    // ---- corrupt archives and digests --------------------------------------------------------------------

    @Test
    void truncatedTarGz() throws IOException {
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), Fixtures.image(Fixtures.standardLayers(), true), "t:1");
        Path tar = Fixtures.tarOf(layout, tmp.resolve("t.tar.gz"), true);
        byte[] bytes = Files.readAllBytes(tar);
        Files.write(tar, Arrays.copyOf(bytes, bytes.length * 2 / 3));
        rejected(tar, ImageError.CORRUPT_ARCHIVE, "not a readable tar");
    }

    @Test
    void truncatedTar() throws IOException {
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), Fixtures.image(Fixtures.standardLayers(), true), "t:1");
        Path tar = Fixtures.tarOf(layout, tmp.resolve("t.tar"), false);
        byte[] bytes = Files.readAllBytes(tar);
        Files.write(tar, Arrays.copyOf(bytes, bytes.length / 2 + 100));
        rejected(tar, ImageError.CORRUPT_ARCHIVE, "");
    }

    @Test
    void notAnArchiveAtAll() throws IOException {
        Path junk = Files.write(tmp.resolve("junk.bin"), "this is not an image\n".repeat(100).getBytes(StandardCharsets.UTF_8));
        rejected(junk, ImageError.UNSUPPORTED_FORMAT, "neither a tar nor a gzip");
        Path gz = Files.write(tmp.resolve("junk.gz"), Fixtures.gzip("x".repeat(4096).getBytes(StandardCharsets.UTF_8)));
        rejected(gz, ImageError.CORRUPT_ARCHIVE, "");
        rejected(tmp.resolve("missing.tar"), ImageError.UNSUPPORTED_FORMAT, "no such file");
        rejected(Files.createDirectories(tmp.resolve("empty-dir")), ImageError.UNSUPPORTED_FORMAT, "neither index.json");
    }

    @Test
    void layerDigestMismatch() throws IOException {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), image, "bad:1");
        Path layer = layout.resolve("blobs/sha256/" + image.layers().get(1).hex());
        byte[] bytes = Files.readAllBytes(layer);
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(layer, bytes);
        rejected(layout, ImageError.DIGEST_MISMATCH, "layer 2");
    }

    @Test
    void tarOfLayoutWithDigestMismatch() throws IOException {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), false);
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), image, "bad:1");
        Files.writeString(layout.resolve("blobs/sha256/" + image.config().hex()), "{}", StandardCharsets.UTF_8);
        rejected(Fixtures.tarOf(layout, tmp.resolve("bad.tar"), true), ImageError.DIGEST_MISMATCH, "config");
    }

    @Test
    void sizeMismatch() {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        rejected(withManifest(image, m -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> layer = ((List<Map<String, Object>>) m.get("layers")).getFirst();
            layer.put("size", ((Number) layer.get("size")).longValue() - 1);
            return m;
        }), ImageError.DIGEST_MISMATCH, "larger than");
    }

    @Test
    void diffIdMismatch() {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true,
                "amd64", Map.of("rootfs", Map.of("type", "layers", "diff_ids",
                        List.of("sha256:" + "1".repeat(64), "sha256:" + "2".repeat(64)))));
        rejected(Fixtures.ociLayout(tmp.resolve("l"), image, "bad:1"), ImageError.DIGEST_MISMATCH, "rootfs.diff_ids");
    }

    @Test
    void missingBlob() throws IOException {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), image, "bad:1");
        Files.delete(layout.resolve("blobs/sha256/" + image.layers().getFirst().hex()));
        rejected(layout, ImageError.MISSING_BLOB, "layer 1");
    }

    @Test
    void legacyConfigWhoseNameIsNotItsDigest() throws IOException {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), false);
        Path archive = Fixtures.dockerSaveLegacy(tmp.resolve("legacy.tar"), List.of(image), List.of(List.of("x:1")));
        Path dir = Files.createDirectories(tmp.resolve("legacy-dir"));
        store.importFrom(archive); // fine as is; now tamper with an unpacked copy
        store.remove("x:1");
        before = Fixtures.snapshot(store.root());
        String hex = image.config().hex();
        Files.write(dir.resolve("manifest.json"), Fixtures.json(List.of(Map.of("Config", hex + ".json",
                "RepoTags", List.of("x:1"), "Layers", List.of()))));
        Files.writeString(dir.resolve(hex + ".json"), new String(image.config().bytes(), StandardCharsets.UTF_8) + " ");
        rejected(dir, ImageError.DIGEST_MISMATCH, "not the one its name says");
    }

    // ---- archive structure -------------------------------------------------------------------------------

    @Test
    void archiveEntriesThatLeaveTheArchive() throws IOException {
        Path a = Files.write(tmp.resolve("a.tar"), new Fixtures.Tar().file("../outside", "x").file("index.json", "{}").bytes());
        rejected(a, ImageError.UNSAFE_ENTRY, "'..' component");
        Path b = Files.write(tmp.resolve("b.tar"), new Fixtures.Tar().symlink("index.json", "/etc/passwd").bytes());
        rejected(b, ImageError.UNSAFE_ENTRY, "absolute path");
        Path c = Files.write(tmp.resolve("c.tar"), new Fixtures.Tar().symlink("index.json", "../../etc/passwd").bytes());
        rejected(c, ImageError.UNSAFE_ENTRY, "outside the archive");
        Path d = Files.write(tmp.resolve("d.tar"), new Fixtures.Tar().charDevice("index.json").bytes());
        rejected(d, ImageError.UNSAFE_ENTRY, "neither a file");
    }

    // ---- size caps and malformed JSON --------------------------------------------------------------------

    @Test
    void oversizeManifest() {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        rejected(withManifest(image, m -> {
            m.put("annotations", Map.of("padding", "x".repeat(5 << 20)));
            return m;
        }), ImageError.TOO_LARGE, "over the limit of 4194304");
    }

    @Test
    void oversizeConfig() {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true, "amd64",
                Map.of("comment", "x".repeat(5 << 20)));
        rejected(Fixtures.ociLayout(tmp.resolve("l"), image, "big:1"), ImageError.TOO_LARGE, "config");
    }

    @Test
    void oversizeIndexAndLegacyManifest() throws IOException {
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), Fixtures.image(Fixtures.standardLayers(), true), "big:1");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"x\":\"" + "y".repeat(5 << 20) + "\"}");
        rejected(layout, ImageError.TOO_LARGE, "index.json");
        Path legacy = Files.createDirectories(tmp.resolve("legacy"));
        Files.writeString(legacy.resolve("manifest.json"), "[" + "{},".repeat(2 << 20) + "{}]");
        rejected(legacy, ImageError.TOO_LARGE, "manifest.json");
    }

    @Test
    void malformedJson() throws IOException {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        Path layout = Fixtures.ociLayout(tmp.resolve("l1"), image, "m:1");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\": 2, \"manifests\": [");
        rejected(layout, ImageError.MALFORMED_JSON, "index.json is malformed");

        Fixtures.Blob trailing = new Fixtures.Blob(Oci.MANIFEST,
                (new String(image.manifest().bytes(), StandardCharsets.UTF_8) + " {}").getBytes(StandardCharsets.UTF_8));
        rejected(layoutWithManifestBlob(image, trailing, "l2"), ImageError.MALFORMED_JSON, "manifest");

        String dup = new String(image.manifest().bytes(), StandardCharsets.UTF_8).replaceFirst("\\{", "{\"schemaVersion\":1,");
        rejected(layoutWithManifestBlob(image, new Fixtures.Blob(Oci.MANIFEST, dup.getBytes(StandardCharsets.UTF_8)), "l3"),
                ImageError.MALFORMED_JSON, "Duplicate field");

        rejected(withManifest(image, m -> {
            m.put("layers", "not a list");
            return m;
        }), ImageError.MALFORMED_JSON, "manifest");

        rejected(withManifest(image, m -> {
            m.put("schemaVersion", 1);
            return m;
        }), ImageError.MALFORMED_JSON, "schemaVersion 1");

        Path legacy = Files.createDirectories(tmp.resolve("legacy"));
        Files.writeString(legacy.resolve("manifest.json"), "[{\"Config\": \"a.json\",]");
        rejected(legacy, ImageError.MALFORMED_JSON, "manifest.json is malformed");
    }

    // ---- platforms and media types -----------------------------------------------------------------------

    @Test
    void onlyLinuxAmd64() {
        Fixtures.Image arm = Fixtures.image(Fixtures.standardLayers(), true, "arm64", Map.of());
        rejected(Fixtures.ociLayout(tmp.resolve("arm"), arm, "arm:1"), ImageError.UNSUPPORTED_PLATFORM, "linux/arm64");

        Fixtures.Blob index = new Fixtures.Blob(Oci.INDEX, Fixtures.json(Map.of("schemaVersion", 2, "manifests",
                List.of(withPlatform(arm.manifest(), "arm64")))));
        List<Fixtures.Blob> blobs = new ArrayList<>(arm.blobs());
        blobs.add(index);
        rejected(Fixtures.ociLayout(tmp.resolve("multi"), List.of(Fixtures.entry(index, Map.of())), blobs),
                ImageError.UNSUPPORTED_PLATFORM, "no linux/amd64 image");
    }

    @Test
    void unsupportedLayerMediaType() {
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        rejected(withManifest(image, m -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> layer = ((List<Map<String, Object>>) m.get("layers")).getFirst();
            layer.put("mediaType", "application/vnd.oci.image.layer.v1.tar+zstd");
            return m;
        }), ImageError.UNSUPPORTED_MEDIA_TYPE, "tar+zstd");
    }

    @Test
    void badTagOnImportChangesNothing() {
        Path layout = Fixtures.ociLayout(tmp.resolve("l"), Fixtures.image(Fixtures.standardLayers(), true), "x:1");
        assertThatThrownBy(() -> store.importFrom(layout, List.of("Not Valid")))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.code()).isEqualTo(ImageError.INVALID_REFERENCE));
        assertThat(Fixtures.snapshot(store.root())).isEqualTo(before);
    }

    @Test
    void removeOfUnknownImageChangesNothing() {
        assertThatThrownBy(() -> store.remove("good:2")).isInstanceOf(ImageException.class);
        assertThatThrownBy(() -> store.remove("ffffffffffff")).isInstanceOf(ImageException.class);
        assertThat(Fixtures.snapshot(store.root())).isEqualTo(before);
    }

    private Path withManifest(Fixtures.Image image, UnaryOperator<Map<String, Object>> edit) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> manifest = Fixtures.JSON.readValue(image.manifest().bytes(), LinkedHashMap.class);
            Fixtures.Blob edited = new Fixtures.Blob(Oci.MANIFEST, Fixtures.json(edit.apply(manifest)));
            return layoutWithManifestBlob(image, edited, "edited-" + System.nanoTime());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path layoutWithManifestBlob(Fixtures.Image image, Fixtures.Blob manifest, String dir) {
        List<Fixtures.Blob> blobs = new ArrayList<>(image.blobs().subList(1, image.blobs().size()));
        blobs.add(manifest);
        return Fixtures.ociLayout(tmp.resolve(dir), List.of(Fixtures.entry(manifest, Map.of(Oci.REF_NAME, "bad:1"))), blobs);
    }

    private static Map<String, Object> withPlatform(Fixtures.Blob manifest, String arch) {
        Map<String, Object> d = manifest.descriptor();
        d.put("platform", Map.of("os", "linux", "architecture", arch));
        return d;
    }
}
