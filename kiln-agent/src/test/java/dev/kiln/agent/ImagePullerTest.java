package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import org.junit.jupiter.api.AfterEach;
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

class ImagePullerTest {
    @TempDir
    Path state;

    private final FakeRegistry registry = FakeRegistry.start();

    @AfterEach
    void close() {
        registry.close();
    }

    private ImagePuller puller() {
        return ImagePuller.create(state, Duration.ofSeconds(10));
    }

    private static byte[] layer(String file, String content) {
        return new TarBuilder().file(file, content).gzip();
    }

    private List<Path> storedFiles() throws IOException {
        try (Stream<Path> s = Files.walk(state.resolve("blobs"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void pullsThroughAnIndexAndVerifiesEveryBlob() {
        byte[] base = layer("a", "1");
        byte[] top = layer("b", "2");
        String digest = registry.addImage("team/app", "v1", List.of(base, top),
                Map.of("Entrypoint", List.of("/bin/app"), "Env", List.of("A=1"), "WorkingDir", "/w", "User", "1000"), true);
        var image = puller().pull("team/app:v1", URI.create(registry.url()));
        assertThat(image.digest()).isEqualTo(digest);
        assertThat(image.layers()).extracting(ImagePuller.Layer::digest)
                .containsExactly(Digest.of(base).toString(), Digest.of(top).toString());
        assertThat(image.config()).isEqualTo(new ImageConfig(List.of("/bin/app"), List.of(), List.of("A=1"), "/w", "1000"));
        assertThat(image.layersFetched()).isEqualTo(2);
        assertThat(Files.exists(puller().blob(Digest.of(base).toString()))).isTrue();
    }

    @Test
    void layersAlreadyPresentAreNotFetchedAgain() {
        byte[] shared = layer("shared", "s");
        registry.addImage("one", "latest", List.of(shared), Map.of("Cmd", List.of("x")), false);
        registry.addImage("two", "latest", List.of(shared, layer("own", "o")), Map.of("Cmd", List.of("x")), false);
        puller().pull("one", URI.create(registry.url()));
        var second = puller().pull("two:latest", URI.create(registry.url()));
        assertThat(second.layersFetched()).isEqualTo(1);
        assertThat(registry.blobRequests(Digest.of(shared).toString())).isEqualTo(1);
    }

    @Test
    void aTamperedLayerIsRefusedAndNothingIsKept() throws IOException {
        byte[] good = layer("a", "good");
        registry.addImage("app", "v1", List.of(good), Map.of("Cmd", List.of("x")), false);
        byte[] evil = layer("a", "evil").clone();
        byte[] sameSize = java.util.Arrays.copyOf(evil, good.length);
        registry.serveInstead(Digest.of(good).toString(), sameSize);
        assertThatThrownBy(() -> puller().pull("app:v1", URI.create(registry.url())))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.DIGEST_MISMATCH);
                    assertThat(e.getMessage()).contains(Digest.of(good).toString(), "does not match");
                    assertThat(AgentException.httpStatus(e.code())).isEqualTo(502);
                });
        assertThat(storedFiles()).extracting(p -> p.getFileName().toString())
                .doesNotContain(Digest.of(good).hex())
                .noneMatch(name -> name.endsWith(".part"));
    }

    @Test
    void aBlobLongerThanItsDescriptorIsRefused() {
        byte[] good = layer("a", "good");
        registry.addImage("app", "v1", List.of(good), Map.of("Cmd", List.of("x")), false);
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 10);
        registry.serveInstead(Digest.of(good).toString(), longer);
        assertThatThrownBy(() -> puller().pull("app:v1", URI.create(registry.url())))
                .hasMessageContaining("longer than its declared size");
    }

    @Test
    void aManifestPinnedByDigestMustMatch() {
        String real = registry.addImage("app", "v1", List.of(layer("a", "1")), Map.of("Cmd", List.of("x")), false);
        String wrong = "sha256:" + "1".repeat(64);
        registry.serveManifestAs("app", real, wrong);
        assertThatThrownBy(() -> puller().pull("app@" + wrong, URI.create(registry.url())))
                .isInstanceOfSatisfying(AgentException.class, e -> {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.DIGEST_MISMATCH);
                    assertThat(e.getMessage()).contains(wrong, real);
                });
        assertThat(puller().pull("app@" + real, URI.create(registry.url())).digest()).isEqualTo(real);
    }

    @Test
    void unknownImagesAndUnreachableRegistriesAreClear() {
        assertThatThrownBy(() -> puller().pull("nope:1", URI.create(registry.url())))
                .isInstanceOfSatisfying(AgentException.class,
                        e -> assertThat(e.code()).isEqualTo(AgentErrorCode.IMAGE_NOT_FOUND));
        assertThatThrownBy(() -> puller().pull("nope:1", URI.create("http://127.0.0.1:1")))
                .isInstanceOfSatisfying(AgentException.class,
                        e -> assertThat(e.code()).isEqualTo(AgentErrorCode.REGISTRY_ERROR));
        assertThatThrownBy(() -> puller().pull("Bad/Name", URI.create(registry.url())))
                .hasMessageContaining("invalid image name");
    }

    @Test
    void imageStoreUnpacksOnceAndSharesTheRoot() throws IOException {
        registry.addImage("app", "v1", List.of(layer("etc/a", "1"), new TarBuilder().file("etc/.wh.a", "").file("etc/b", "2").gzip()),
                Map.of("Cmd", List.of("x")), false);
        ImagePuller p = puller();
        ImageStore store = new ImageStore(state, LayerUnpacker.create(), p);
        var image = p.pull("app:v1", URI.create(registry.url()));
        Path rootfs = store.rootfs(image);
        assertThat(rootfs.resolve("etc/a")).doesNotExist();
        assertThat(rootfs.resolve("etc/b")).hasContent("2");
        assertThat(store.rootfs(image)).isEqualTo(rootfs);
        try (Stream<Path> s = Files.list(state.resolve("images"))) {
            assertThat(s.map(x -> x.getFileName().toString())).containsExactly(Digest.parse(image.digest()).hex());
        }
    }

    @Test
    void aHostileLayerLeavesNoImageBehind() throws IOException {
        registry.addImage("app", "v1", List.of(new TarBuilder().file("ok", "1").file("../x", "2").gzip()),
                Map.of("Cmd", List.of("x")), false);
        ImagePuller p = puller();
        ImageStore store = new ImageStore(state, LayerUnpacker.create(), p);
        var image = p.pull("app:v1", URI.create(registry.url()));
        assertThatThrownBy(() -> store.rootfs(image)).hasMessageContaining("'..'");
        try (Stream<Path> s = Files.list(state.resolve("images"))) {
            assertThat(s).isEmpty();
        }
    }
}
