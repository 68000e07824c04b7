package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
    @TempDir
    Path tmp;

    private ImageStore store() {
        return ImageStore.open(tmp.resolve("store"));
    }

    @Test
    void opensAnEmptyOciLayout() throws IOException {
        ImageStore store = store();
        assertThat(store.list()).isEmpty();
        assertThat(Files.readString(store.root().resolve("oci-layout"))).contains("\"imageLayoutVersion\":\"1.0.0\"");
        assertThat(Files.readString(store.root().resolve("index.json"))).contains("\"schemaVersion\":2");
        assertThat(store.root().resolve("blobs/sha256")).isDirectory();
    }

    @Test
    void roundTripOfAnOciLayoutDirectory() {
        ImageStore store = store();
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), true);
        Path layout = Fixtures.ociLayout(tmp.resolve("layout"), image, "docker.io/library/hello:latest");

        ImportResult result = store.importFrom(layout);

        assertThat(result.blobsAdded()).isEqualTo(4);
        assertThat(result.images()).singleElement().satisfies(s -> {
            assertThat(s.references()).containsExactly("hello:latest");
            assertThat(s.digest().toString()).isEqualTo(image.manifest().digest());
            assertThat(s.id().toString()).isEqualTo(image.config().digest());
        });
        List<ImageSummary> listed = store.list();
        assertThat(listed).hasSize(1);
        ImageSummary summary = listed.getFirst();
        long total = image.blobs().stream().mapToLong(b -> b.bytes().length).sum();
        assertThat(summary.size()).isEqualTo(total);
        assertThat(summary.created()).contains(Instant.parse("2025-01-02T03:04:05Z"));

        ImageDetails details = store.inspect("hello");
        assertThat(details.references()).containsExactly("hello:latest");
        assertThat(details.manifestMediaType()).isEqualTo(Oci.MANIFEST);
        assertThat(details.totalSize()).isEqualTo(total);
        assertThat(details.layers()).extracting(LayerInfo::size)
                .containsExactly((long) image.layers().get(0).bytes().length, (long) image.layers().get(1).bytes().length);
        assertThat(details.layers()).extracting(LayerInfo::mediaType).containsOnly(Oci.LAYER_TAR_GZIP);
        ImageConfig config = details.config();
        assertThat(config.os()).isEqualTo("linux");
        assertThat(config.architecture()).isEqualTo("amd64");
        assertThat(config.entrypoint()).containsExactly("/bin/hello");
        assertThat(config.cmd()).containsExactly("world");
        assertThat(config.env()).containsExactly("PATH=/usr/bin:/bin", "GREETING=hi");
        assertThat(config.workingDir()).contains("/srv");
        assertThat(config.user()).contains("1000:1000");
        assertThat(config.exposedPorts()).containsExactly("8080/tcp");
        assertThat(config.labels()).containsEntry("org.example", "yes");

        for (String ref : List.of("hello", "hello:latest", "library/hello", "docker.io/library/hello:latest",
                image.manifest().digest(), "hello@" + image.manifest().digest(), image.config().digest(),
                image.config().hex().substring(0, 12), image.manifest().hex().substring(0, 8))) {
            assertThat(store.resolve(ref).manifestDigest().toString()).as(ref).isEqualTo(image.manifest().digest());
        }

        RemoveResult removed = store.remove("hello");
        assertThat(removed.untagged()).containsExactly("hello:latest");
        assertThat(removed.deletedImages()).extracting(Digest::toString).containsExactly(image.manifest().digest());
        assertThat(removed.blobsDeleted()).isEqualTo(4);
        assertThat(removed.bytesFreed()).isEqualTo(total);
        assertThat(store.list()).isEmpty();
        assertThat(blobFiles(store)).isEmpty();
    }

    @Test
    void thePullReferenceNamesTheRepositoryTheUserNamedOrTheImagesFirstName() {
        ImageStore store = store();
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), false);
        store.importFrom(Fixtures.ociLayout(tmp.resolve("layout"), image, "docker.io/library/hello:1.0"), List.of("other/name:2"));
        String digest = image.manifest().digest();
        assertThat(store.pullReference("hello:1.0")).isEqualTo("hello@" + digest);
        assertThat(store.pullReference("other/name:2")).isEqualTo("other/name@" + digest);
        assertThat(store.pullReference(digest)).endsWith("@" + digest);
        assertThatThrownBy(() -> store.pullReference("nope:1")).isInstanceOf(ImageException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void importsATarAndATarGzOfAnOciLayout() {
        ImageStore store = store();
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), false);
        Path layout = Fixtures.ociLayout(tmp.resolve("layout"), image, "hello:1.0");
        store.importFrom(Fixtures.tarOf(layout, tmp.resolve("hello.tar"), false));
        assertThat(store.resolve("hello:1.0").manifestDigest().toString()).isEqualTo(image.manifest().digest());

        Fixtures.Image other = Fixtures.image(List.of(new Fixtures.Tar().file("x", "x").bytes()), true);
        Path layout2 = Fixtures.ociLayout(tmp.resolve("layout2"), other, "registry.example.com:5000/team/app:v2");
        store.importFrom(Fixtures.tarOf(layout2, tmp.resolve("app.tar.gz"), true));
        assertThat(store.inspect("registry.example.com:5000/team/app:v2").references())
                .containsExactly("registry.example.com:5000/team/app:v2");
        assertThat(store.list()).hasSize(2);
        assertThat(store.root().resolve(".kiln-tmp")).isEmptyDirectory();
    }

    @Test
    void importsWhatDocker25SavesAnOciLayoutWithManifestJson() throws IOException {
        ImageStore store = store();
        Fixtures.Image image = Fixtures.image(Fixtures.standardLayers(), false);
        Path layout = Fixtures.ociLayout(tmp.resolve("layout"),
                List.of(Fixtures.entry(image.manifest(), Map.of())), image.blobs());
        Files.write(layout.resolve("manifest.json"), Fixtures.json(List.of(Map.of(
                "Config", "blobs/sha256/" + image.config().hex(),
                "RepoTags", List.of("hello:latest", "library/hello:1.0"),
                "Layers", image.layers().stream().map(l -> "blobs/sha256/" + l.hex()).toList()))));
        ImportResult result = store.importFrom(Fixtures.tarOf(layout, tmp.resolve("save.tar"), false));
        assertThat(result.images().getFirst().references()).containsExactly("hello:latest", "hello:1.0");
        assertThat(store.tags("library/hello")).containsExactly("1.0", "latest");
    }

    @Test
    void convertsLegacyDockerSaveWithASharedLayer() {
        ImageStore store = store();
        List<byte[]> layers = Fixtures.standardLayers();
        Fixtures.Image first = Fixtures.image(layers, false);
        Fixtures.Image second = Fixtures.image(List.of(layers.get(0), new Fixtures.Tar().file("app", "v2").bytes()),
                false, "amd64", Map.of("author", "test"));
        Path archive = Fixtures.dockerSaveLegacy(tmp.resolve("legacy.tar"), List.of(first, second),
                List.of(List.of("hello:latest"), List.of("app:2", "app:latest")));

        ImportResult result = store.importFrom(archive);

        assertThat(result.images()).hasSize(2);
        ImageDetails hello = store.inspect("hello");
        assertThat(hello.manifestMediaType()).isEqualTo(Oci.MANIFEST);
        assertThat(hello.id().toString()).isEqualTo(first.config().digest());
        assertThat(hello.layers()).extracting(l -> l.digest().toString())
                .containsExactly(Digest.of(layers.get(0)).toString(), Digest.of(layers.get(1)).toString());
        assertThat(hello.layers()).extracting(LayerInfo::mediaType).containsOnly(Oci.LAYER_TAR);
        assertThat(hello.layers()).extracting(LayerInfo::size)
                .containsExactly((long) layers.get(0).length, (long) layers.get(1).length);
        assertThat(store.inspect("app:2").references()).containsExactly("app:2", "app:latest");
        // manifest, config, 2 layers for hello; manifest, config, 1 new layer for app
        assertThat(result.blobsAdded()).isEqualTo(7);
        // converted manifests are deterministic: a second import adds nothing
        assertThat(store.importFrom(archive).blobsAdded()).isZero();
        assertThat(store.list()).hasSize(2);
        // the stored manifest verifies against its digest
        Path manifest = store.root().resolve("blobs/sha256/" + hello.digest().hex());
        assertThat(Digest.of(manifest)).isEqualTo(hello.digest());

        store.remove("hello");
        assertThat(blobFiles(store)).hasSize(4); // app: manifest, config, shared base layer, its own layer
        store.remove("app:2");
        assertThat(store.inspect("app").references()).containsExactly("app:latest");
        store.remove(store.inspect("app").id().shortHex());
        assertThat(blobFiles(store)).isEmpty();
    }

    @Test
    void picksLinuxAmd64FromAnImageIndex() {
        ImageStore store = store();
        Fixtures.Image amd64 = Fixtures.image(Fixtures.standardLayers(), true);
        Fixtures.Image arm64 = Fixtures.image(List.of(new Fixtures.Tar().file("arm", "arm").bytes()), true, "arm64", Map.of());
        Fixtures.Blob index = new Fixtures.Blob(Oci.INDEX, Fixtures.json(Map.of("schemaVersion", 2, "mediaType", Oci.INDEX,
                "manifests", List.of(
                        withPlatform(arm64.manifest(), "arm64"),
                        withPlatform(amd64.manifest(), "amd64")))));
        // only the amd64 image's blobs are present, as `docker save --platform linux/amd64` leaves it
        List<Fixtures.Blob> blobs = new java.util.ArrayList<>(amd64.blobs());
        blobs.add(index);
        Path layout = Fixtures.ociLayout(tmp.resolve("layout"),
                List.of(Fixtures.entry(index, Map.of(Oci.CONTAINERD_NAME, "docker.io/library/multi:latest",
                        Oci.REF_NAME, "latest"))), blobs);
        store.importFrom(layout);
        ImageDetails details = store.inspect("multi");
        assertThat(details.digest().toString()).isEqualTo(amd64.manifest().digest());
        // the index blob is not kept: the store names the platform manifest itself
        assertThat(blobFiles(store)).hasSize(4);
    }

    @Test
    void explicitTagsAndMovingTags() {
        ImageStore store = store();
        Fixtures.Image one = Fixtures.image(List.of(new Fixtures.Tar().file("v", "1").bytes()), false);
        Fixtures.Image two = Fixtures.image(List.of(new Fixtures.Tar().file("v", "2").bytes()), false);
        // a bare ref.name is only a tag (the OCI convention): the image is untagged unless named on import
        store.importFrom(Fixtures.ociLayout(tmp.resolve("one"), one, "latest"), List.of("web", "web:1"));
        assertThat(store.inspect("web:1").references()).containsExactly("web:latest", "web:1");

        ImportResult result = store.importFrom(Fixtures.ociLayout(tmp.resolve("two"), two, "latest"), List.of("web"));
        assertThat(result.untagged()).containsExactly("web:latest");
        assertThat(store.resolve("web").manifestDigest().toString()).isEqualTo(two.manifest().digest());
        assertThat(store.inspect("web:1").references()).containsExactly("web:1");

        store.remove("web:1");
        // the image lost its last name and was deleted; the other one is untouched
        assertThat(store.list()).singleElement().satisfies(s -> assertThat(s.references()).containsExactly("web:latest"));

        store.importFrom(Fixtures.ociLayout(tmp.resolve("one-again"), one, "latest"));
        ImageSummary untagged = store.list().stream().filter(s -> s.references().isEmpty()).findFirst().orElseThrow();
        assertThat(store.inspect(untagged.id().shortHex()).digest()).isEqualTo(untagged.digest());
    }

    @Test
    void unknownImageNamesTheReferenceAndSuggestsLs() {
        ImageStore store = store();
        store.importFrom(Fixtures.ociLayout(tmp.resolve("l"), Fixtures.image(Fixtures.standardLayers(), true), "hello:1.0"));
        assertThatThrownBy(() -> store.inspect("hello:2.0"))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ImageError.IMAGE_NOT_FOUND);
                    assertThat(e.getMessage()).contains("hello:2.0");
                    assertThat(e.hint()).contains("kiln image ls").contains("hello:1.0");
                });
        assertThatThrownBy(() -> store.remove("nope")).isInstanceOfSatisfying(ImageException.class,
                e -> assertThat(e.code()).isEqualTo(ImageError.IMAGE_NOT_FOUND));
        assertThatThrownBy(() -> store.resolve("Bad Name!")).isInstanceOfSatisfying(ImageException.class,
                e -> assertThat(e.code()).isEqualTo(ImageError.INVALID_REFERENCE));
        assertThatThrownBy(() -> store.resolve("sha256:" + "0".repeat(64))).isInstanceOfSatisfying(ImageException.class,
                e -> assertThat(e.code()).isEqualTo(ImageError.IMAGE_NOT_FOUND));
    }

    @Test
    void referencesNormalizeAsDockerDoes() {
        assertThat(ImageRef.parseTagged("hello").toString()).isEqualTo("hello:latest");
        assertThat(ImageRef.parseTagged("library/hello:1.0").toString()).isEqualTo("hello:1.0");
        assertThat(ImageRef.parseTagged("docker.io/library/hello").toString()).isEqualTo("hello:latest");
        assertThat(ImageRef.parseTagged("index.docker.io/team/app:x").toString()).isEqualTo("team/app:x");
        assertThat(ImageRef.parseTagged("localhost:5000/app").toString()).isEqualTo("localhost:5000/app:latest");
        assertThat(ImageRef.parse("3f2a9c1b")).isInstanceOf(ImageRef.IdPrefix.class);
        assertThat(ImageRef.parse("app@sha256:" + "a".repeat(64))).isInstanceOf(ImageRef.ByDigest.class);
        assertThatThrownBy(() -> ImageRef.parse("Hello")).isInstanceOf(ImageException.class);
        assertThatThrownBy(() -> ImageRef.parse("a:b:c")).isInstanceOf(ImageException.class);
        assertThatThrownBy(() -> ImageRef.parse("app@sha512:abc")).isInstanceOf(ImageException.class);
    }

    @Test
    void concurrentImportsAndRemovesKeepTheIndexWhole() throws Exception {
        ImageStore store = store();
        ImageStore second = ImageStore.open(store.root()); // another handle on the same directory, as a second process has
        int n = 6;
        List<Path> layouts = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Fixtures.Image image = Fixtures.image(List.of(Fixtures.standardLayers().getFirst(),
                    new Fixtures.Tar().file("n", "" + i).bytes()), true);
            layouts.add(Fixtures.ociLayout(tmp.resolve("l" + i), image, "app" + i + ":1"));
        }
        store.importFrom(layouts.getFirst());
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
            List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
            for (int i = 1; i < n; i++) {
                Path layout = layouts.get(i);
                ImageStore handle = i % 2 == 0 ? store : second;
                futures.add(pool.submit(() -> handle.importFrom(layout)));
            }
            futures.add(pool.submit(() -> second.remove("app0:1")));
            for (var f : futures) {
                f.get();
            }
        }
        assertThat(store.list()).hasSize(n - 1);
        // the shared base layer survived the remove of app0; every listed image is complete
        for (int i = 1; i < n; i++) {
            assertThat(store.inspect("app" + i + ":1").layers()).hasSize(2);
        }
        assertThat(blobFiles(store)).hasSize(1 + 3 * (n - 1));
        assertThat(store.root().resolve(".kiln-tmp")).isEmptyDirectory();
    }

    private static Map<String, Object> withPlatform(Fixtures.Blob manifest, String arch) {
        Map<String, Object> d = manifest.descriptor();
        d.put("platform", Map.of("os", "linux", "architecture", arch));
        return d;
    }

    static List<Path> blobFiles(ImageStore store) {
        try (Stream<Path> files = Files.list(store.root().resolve("blobs/sha256"))) {
            return files.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
