package dev.kiln.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** {@link ImagePuller} over the OCI distribution API with the JDK's HTTP client; anonymous, read-only. */
final class OciImagePuller implements ImagePuller {
    private static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_CONFIG_BYTES = 8 << 20;

    private final Supplier<HttpClient> httpFactory;
    private final BlobStore blobs;
    private final Duration timeout;
    private HttpClient http;
    private ObjectMapper json;

    OciImagePuller(Supplier<HttpClient> httpFactory, BlobStore blobs, Duration timeout) {
        this.httpFactory = httpFactory;
        this.blobs = blobs;
        this.timeout = timeout;
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = httpFactory.get();
        }
        return http;
    }

    /** Registry documents carry many fields the agent does not read: this mapper ignores them. */
    private synchronized ObjectMapper json() {
        if (json == null) {
            json = Json.mapper().copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        }
        return json;
    }

    @Override
    public Path blob(String digest) {
        return blobs.path(Digest.parse(digest));
    }

    @Override
    public PulledImage pull(String reference, URI registry) {
        ImageRef ref = ImageRef.parse(reference);
        Fetched top = fetchManifest(registry, ref, ref.manifestReference(), ref.digest(), Optional.empty());
        Fetched chosen = top;
        if (isIndex(top)) {
            OciDocuments.Descriptor platform = choosePlatform(ref, read(top.body, OciDocuments.Index.class, "index"));
            Digest d = Digest.parse(platform.digest());
            chosen = fetchManifest(registry, ref, d.toString(), Optional.of(d), Optional.of(platform.size()));
        }
        OciDocuments.Manifest manifest = read(chosen.body, OciDocuments.Manifest.class, "manifest");
        if (manifest.config() == null || manifest.layers() == null) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "manifest of " + ref + " has no config or layers");
        }
        for (OciDocuments.Descriptor layer : manifest.layers()) {
            if (!OciDocuments.LAYER_TYPES.contains(layer.mediaType())) {
                throw new AgentException(AgentErrorCode.BAD_IMAGE, "layer " + layer.digest() + " of " + ref
                        + " has media type " + layer.mediaType() + "; supported: plain or gzip tar");
            }
        }
        Digest configDigest = Digest.parse(manifest.config().digest());
        if (manifest.config().size() > MAX_CONFIG_BYTES) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "config of " + ref + " is too large: "
                    + manifest.config().size() + " bytes");
        }
        ensureBlob(registry, ref, configDigest, manifest.config().size(), "config");
        OciDocuments.ImageConfigFile config = readConfig(configDigest);
        config.os().filter(os -> !os.equals("linux")).ifPresent(os -> {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, ref + " is an image for " + os + ", not linux");
        });
        config.architecture().filter(a -> !a.equals("amd64")).ifPresent(a -> {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, ref + " is an image for " + a + ", not amd64");
        });
        List<Layer> layers = new ArrayList<>();
        int fetched = 0;
        for (OciDocuments.Descriptor layer : manifest.layers()) {
            Digest d = Digest.parse(layer.digest());
            if (ensureBlob(registry, ref, d, layer.size(), "layer")) {
                fetched++;
            }
            layers.add(new Layer(d.toString(), layer.size(), layer.mediaType()));
        }
        return new PulledImage(ref.toString(), chosen.digest.toString(), configDigest.toString(),
                ImageConfig.from(config.config()), layers, fetched);
    }

    private record Fetched(byte[] body, Digest digest, String mediaType) {
    }

    private static boolean isIndex(Fetched f) {
        return f.mediaType.equals(OciDocuments.OCI_INDEX) || f.mediaType.equals(OciDocuments.DOCKER_LIST);
    }

    private Fetched fetchManifest(URI registry, ImageRef ref, String reference, Optional<Digest> expected,
                                  Optional<Long> expectedSize) {
        URI uri = URI.create(registry + "/v2/" + ref.name() + "/manifests/" + reference);
        HttpResponse<InputStream> response = send(HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", OciDocuments.MANIFEST_ACCEPT).GET().build(), ref, "manifest " + reference);
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.REGISTRY_ERROR, "cannot read the manifest of " + ref + ": " + e, e);
        }
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "manifest of " + ref + " is larger than 4 MiB");
        }
        Digest actual = Digest.of(body);
        if (expected.isPresent() && !expected.get().equals(actual)) {
            throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, "manifest " + expected.get() + " of " + ref
                    + " does not match its content (" + actual + ")");
        }
        if (expectedSize.isPresent() && expectedSize.get() != body.length) {
            throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, "manifest " + actual + " of " + ref + " has "
                    + body.length + " bytes, its descriptor says " + expectedSize.get());
        }
        Optional<String> announced = response.headers().firstValue("Docker-Content-Digest");
        if (announced.isPresent() && !announced.get().equals(actual.toString())) {
            throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, "manifest of " + ref + " does not match the "
                    + "registry's Docker-Content-Digest " + announced.get() + " (content: " + actual + ")");
        }
        String type = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
        JsonNode tree = tree(body, "manifest");
        if (tree.hasNonNull("mediaType")) {
            type = tree.get("mediaType").asText();
        } else if (!List.of(OciDocuments.OCI_INDEX, OciDocuments.OCI_MANIFEST, OciDocuments.DOCKER_LIST,
                OciDocuments.DOCKER_MANIFEST).contains(type)) {
            type = tree.has("manifests") ? OciDocuments.OCI_INDEX : OciDocuments.OCI_MANIFEST;
        }
        if (tree.path("schemaVersion").asInt() != 2) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "manifest of " + ref + " is not schema version 2"
                    + " (Docker v1 manifests are not supported)");
        }
        return new Fetched(body, actual, type);
    }

    private static OciDocuments.Descriptor choosePlatform(ImageRef ref, OciDocuments.Index index) {
        List<OciDocuments.Descriptor> manifests = index.manifests() == null ? List.of() : index.manifests();
        return manifests.stream()
                .filter(m -> m.platform().map(p -> "linux".equals(p.os()) && "amd64".equals(p.architecture()))
                        .orElse(false))
                .findFirst()
                .orElseThrow(() -> new AgentException(AgentErrorCode.BAD_IMAGE, ref + " has no linux/amd64 "
                        + "image; it has: " + manifests.stream()
                        .map(m -> m.platform().map(p -> p.os() + "/" + p.architecture()).orElse("?"))
                        .collect(Collectors.joining(", "))));
    }

    /** Fetches a blob unless the store has it; true when it was fetched. */
    private boolean ensureBlob(URI registry, ImageRef ref, Digest digest, long size, String what) {
        if (blobs.has(digest)) {
            return false;
        }
        URI uri = URI.create(registry + "/v2/" + ref.name() + "/blobs/" + digest);
        HttpResponse<InputStream> response = send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), ref,
                what + " " + digest);
        blobs.put(digest, size, response.body(), what + " of " + ref);
        return true;
    }

    private HttpResponse<InputStream> send(HttpRequest request, ImageRef ref, String what) {
        HttpResponse<InputStream> response;
        try {
            response = http().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.REGISTRY_ERROR, "cannot reach the registry for " + what
                    + " of " + ref + " at " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "interrupted while pulling " + ref, e);
        }
        int status = response.statusCode();
        if (status == 200) {
            return response;
        }
        String detail;
        try (InputStream in = response.body()) {
            detail = new String(in.readNBytes(300), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            detail = "";
        }
        if (status == 404) {
            throw new AgentException(AgentErrorCode.IMAGE_NOT_FOUND, "the registry has no " + what + " of " + ref
                    + " (404 from " + request.uri() + ")");
        }
        throw new AgentException(AgentErrorCode.REGISTRY_ERROR, "the registry answered " + status + " for " + what
                + " of " + ref + (detail.isEmpty() ? "" : ": " + detail));
    }

    private OciDocuments.ImageConfigFile readConfig(Digest digest) {
        try (InputStream in = blobs.open(digest)) {
            return read(in.readAllBytes(), OciDocuments.ImageConfigFile.class, "image config");
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot read config " + digest + ": " + e, e);
        }
    }

    private JsonNode tree(byte[] body, String what) {
        try {
            return json().readTree(body);
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "the " + what + " is not JSON: " + e.getMessage());
        }
    }

    private <T> T read(byte[] body, Class<T> type, String what) {
        try {
            return json().readValue(body, type);
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "cannot read the " + what + ": " + e.getMessage());
        }
    }
}
