package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The read-only registry on a real Jetty server on 127.0.0.1, called with the JDK's HTTP client. */
class ImageRegistryTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();
    private ImageStore store;
    private ImageRegistry registry;
    private Fixtures.Image hello;
    private Fixtures.Image other;

    @BeforeEach
    void start() {
        store = ImageStore.open(tmp.resolve("store"));
        hello = Fixtures.image(Fixtures.standardLayers(), true);
        other = Fixtures.image(List.of(new Fixtures.Tar().file("other", "o").bytes()), false);
        store.importFrom(Fixtures.ociLayout(tmp.resolve("hello"), hello, "hello:latest"), List.of("hello:1.0"));
        store.importFrom(Fixtures.ociLayout(tmp.resolve("other"), other, "team/other:v1"));
        registry = ImageRegistry.start(store, new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        registry.close();
        http.close();
    }

    @Test
    void versionCheck() throws Exception {
        HttpResponse<String> response = get("/v2/");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{}");
        assertThat(response.headers().firstValue("Docker-Distribution-API-Version")).contains("registry/2.0");
        assertThat(registry.address().getPort()).isPositive();
    }

    @Test
    void pullsAnImageAsAGuestAgentWould() throws Exception {
        HttpResponse<byte[]> manifest = getBytes("/v2/hello/manifests/latest");
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue("Content-Type")).contains(Oci.MANIFEST);
        assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(hello.manifest().digest());
        assertThat(manifest.headers().firstValueAsLong("Content-Length")).hasValue(hello.manifest().bytes().length);
        assertThat(Digest.of(manifest.body()).toString()).isEqualTo(hello.manifest().digest());

        JsonNode parsed = Fixtures.JSON.readTree(manifest.body());
        List<JsonNode> blobs = new java.util.ArrayList<>();
        blobs.add(parsed.get("config"));
        parsed.get("layers").forEach(blobs::add);
        for (JsonNode descriptor : blobs) {
            String digest = descriptor.get("digest").asText();
            HttpResponse<byte[]> blob = getBytes("/v2/library/hello/blobs/" + digest);
            assertThat(blob.statusCode()).isEqualTo(200);
            assertThat(blob.headers().firstValue("Docker-Content-Digest")).contains(digest);
            assertThat(blob.body()).hasSize(descriptor.get("size").asInt());
            assertThat(Digest.of(blob.body()).toString()).isEqualTo(digest);
        }
    }

    @Test
    void manifestByDigestAndHead() throws Exception {
        String path = "/v2/docker.io/library/hello/manifests/" + hello.manifest().digest();
        assertThat(getBytes(path).body()).isEqualTo(hello.manifest().bytes());

        HttpResponse<Void> head = http.send(request(path).HEAD().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(hello.manifest().bytes().length);
        assertThat(head.headers().firstValue("Docker-Content-Digest")).contains(hello.manifest().digest());

        String layer = hello.layers().getFirst().digest();
        HttpResponse<Void> headBlob = http.send(request("/v2/hello/blobs/" + layer).HEAD().build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(headBlob.statusCode()).isEqualTo(200);
        assertThat(headBlob.headers().firstValueAsLong("Content-Length")).hasValue(hello.layers().getFirst().bytes().length);
    }

    @Test
    void streamsALargeBlob() throws Exception {
        byte[] big = new byte[3 << 20];
        new java.util.Random(42).nextBytes(big);
        Fixtures.Image image = Fixtures.image(List.of(new Fixtures.Tar().file("big.bin", big).bytes()), false);
        store.importFrom(Fixtures.ociLayout(tmp.resolve("big"), image, "big:1"));
        Fixtures.Blob layer = image.layers().getFirst();
        HttpResponse<byte[]> response = getBytes("/v2/big/blobs/" + layer.digest());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).hasSize(layer.bytes().length);
        assertThat(Digest.of(response.body()).toString()).isEqualTo(layer.digest());
    }

    @Test
    void tagsList() throws Exception {
        HttpResponse<String> response = get("/v2/hello/tags/list");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixtures.JSON.readTree(response.body());
        assertThat(body.get("tags").toString()).isEqualTo("[\"1.0\",\"latest\"]");
    }

    @Test
    void unknownThingsAre404WithOciErrors() throws Exception {
        assertError(get("/v2/hello/manifests/2.0"), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/nobody/manifests/latest"), 404, "NAME_UNKNOWN");
        assertError(get("/v2/hello/blobs/sha256:" + "0".repeat(64)), 404, "BLOB_UNKNOWN");
        // a blob of another repository's image is not served under this name
        assertError(get("/v2/hello/blobs/" + other.layers().getFirst().digest()), 404, "BLOB_UNKNOWN");
        assertError(get("/v2/hello/manifests/" + other.manifest().digest()), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/hello/blobs/sha512:abc"), 400, "DIGEST_INVALID");
        assertError(get("/v1/anything"), 404, "UNSUPPORTED");
        assertThat(get("/v2/team/other/manifests/v1").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT", "POST", "DELETE", "PATCH"})
    void writesAre405Unsupported(String method) throws Exception {
        HttpResponse<String> response = http.send(request("/v2/hello/manifests/latest")
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(response, 405, "UNSUPPORTED");
        assertThat(store.resolve("hello").manifestDigest().toString()).isEqualTo(hello.manifest().digest());
    }

    @Test
    void removedImagesAreGone() throws Exception {
        store.remove("hello:latest");
        store.remove("hello:1.0");
        assertError(get("/v2/hello/manifests/latest"), 404, "NAME_UNKNOWN");
        assertThat(ImageStoreTest.blobFiles(store)).hasSize(3);
    }

    private static void assertError(HttpResponse<String> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode errors = Fixtures.JSON.readTree(response.body()).get("errors");
        assertThat(errors.get(0).get("code").asText()).isEqualTo(code);
        assertThat(errors.get(0).get("message").asText()).isNotBlank();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(registry.uri() + path));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(String path) throws Exception {
        return http.send(request(path).header("Accept", Oci.MANIFEST).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
