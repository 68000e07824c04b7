package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.HostError;
import dev.kiln.host.HostException;
import dev.kiln.image.ImageError;
import dev.kiln.image.ImageException;
import dev.kiln.image.ImageRef;
import dev.kiln.image.ImageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * Images from the other hosts: before a pod's container starts, an image this host does not have is pulled from the
 * first other host whose registry has it (the registry every daemon serves its guests on its bridge address, reached
 * across the overlay) and imported into this host's store. Manifest and blobs are checked against their digests; the
 * import is atomic, so a failed pull leaves the store as it was.
 */
final class PeerImages {
    private static final Logger LOG = LoggerFactory.getLogger(PeerImages.class);
    private static final String ACCEPT = String.join(", ", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final ImageStore images;
    private final Supplier<List<URI>> registries;
    private final Path scratch;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /**
     * @param registries the other hosts' registries ({@code http://10.90.2.1:10080}), asked in this order
     * @param scratch    where a pulled image is laid out before its import (removed afterwards)
     */
    PeerImages(ImageStore images, Supplier<List<URI>> registries, Path scratch) {
        this.images = images;
        this.registries = registries;
        this.scratch = scratch;
    }

    /**
     * Makes sure {@code reference} is in this host's store, pulling it from another host when it is not. One pull
     * at a time, so pods that start together fetch an image once.
     */
    synchronized void ensure(String reference) {
        try {
            images.resolve(reference);
            return;
        } catch (ImageException e) {
            if (e.code() != ImageError.IMAGE_NOT_FOUND) {
                throw HostException.from(e);
            }
        }
        ImageRef ref = ImageRef.parse(reference);
        if (!(ref instanceof ImageRef.Tagged tagged)) {
            throw new HostException(HostError.IMAGE_NOT_FOUND, "image " + reference + " is not on this host",
                    "only images named repository:tag are pulled from other hosts; import it here");
        }
        List<URI> asked = registries.get();
        List<String> why = new ArrayList<>();
        for (URI registry : asked) {
            try {
                long t0 = System.nanoTime();
                pull(registry, tagged);
                LOG.info("pulled {} from {} in {} ms", reference, registry, (System.nanoTime() - t0) / 1_000_000);
                return;
            } catch (IOException | RuntimeException e) {
                why.add(registry.getHost() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HostException(HostError.HOST_ERROR, "interrupted while pulling " + reference, "retry");
            }
        }
        throw new HostException(HostError.IMAGE_NOT_FOUND, "image " + reference + " is on no host of the cluster"
                + (why.isEmpty() ? " (no other host to ask)" : " (asked " + String.join("; ", why) + ")"),
                "build or import it on one host (kiln image build|import); the others pull it from there");
    }

    private void pull(URI registry, ImageRef.Tagged ref) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Files.createDirectories(scratch), "pull-");
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            String base = registry + "/v2/" + ref.repository();
            Fetched manifest = fetch(URI.create(base + "/manifests/" + ref.tag()), null);
            JsonNode m = json.readTree(manifest.bytes());
            if (m.has("manifests")) { // an index: take the linux/amd64 manifest
                JsonNode chosen = null;
                for (JsonNode d : m.path("manifests")) {
                    JsonNode p = d.path("platform");
                    if (p.isMissingNode() || ("amd64".equals(p.path("architecture").asText())
                            && "linux".equals(p.path("os").asText()))) {
                        chosen = d;
                        break;
                    }
                }
                if (chosen == null) {
                    throw new IOException("its index has no linux/amd64 image");
                }
                manifest = fetch(URI.create(base + "/manifests/" + chosen.path("digest").asText()),
                        chosen.path("digest").asText());
                m = json.readTree(manifest.bytes());
            }
            String manifestDigest = write(dir, manifest.bytes());
            blob(base, dir, m.path("config").path("digest").asText());
            for (JsonNode layer : m.path("layers")) {
                blob(base, dir, layer.path("digest").asText());
            }
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            ObjectNode index = json.createObjectNode().put("schemaVersion", 2);
            String mediaType = m.path("mediaType").asText(manifest.contentType());
            index.putArray("manifests").addObject().put("mediaType", mediaType).put("digest", manifestDigest)
                    .put("size", manifest.bytes().length).putObject("annotations")
                    .put("org.opencontainers.image.ref.name", ref.toString());
            Files.write(dir.resolve("index.json"), json.writeValueAsBytes(index));
            images.importFrom(dir, List.of(ref.toString()));
        } finally {
            deleteTree(dir);
        }
    }

    private record Fetched(byte[] bytes, String contentType) {
    }

    private Fetched fetch(URI uri, String expectedDigest) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", ACCEPT)
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + uri.getPath() + " answered " + r.statusCode());
        }
        if (expectedDigest != null && !expectedDigest.equals("sha256:" + sha256(r.body()))) {
            throw new IOException("the manifest from " + uri + " does not match its digest " + expectedDigest);
        }
        return new Fetched(r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    /** Streams blob {@code digest} into the layout, checking its digest. */
    private void blob(String base, Path dir, String digest) throws IOException, InterruptedException {
        if (!digest.startsWith("sha256:")) {
            throw new IOException("unsupported digest '" + digest + "'");
        }
        URI uri = URI.create(base + "/blobs/" + digest);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Path target = dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                throw new IOException("GET " + uri.getPath() + " answered " + r.statusCode());
            }
            MessageDigest sha = sha();
            try (DigestInputStream din = new DigestInputStream(in, sha); OutputStream out = Files.newOutputStream(target)) {
                din.transferTo(out);
            }
            String got = "sha256:" + HexFormat.of().formatHex(sha.digest());
            if (!got.equals(digest)) {
                throw new IOException("blob " + digest + " arrived as " + got);
            }
        }
    }

    private static String write(Path dir, byte[] bytes) throws IOException {
        String hex = sha256(bytes);
        Files.write(dir.resolve("blobs/sha256").resolve(hex), bytes);
        return "sha256:" + hex;
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha().digest(bytes));
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
