package dev.kiln.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake of the host's read-only OCI distribution API on the JDK's HTTP server: serves fixture manifests and
 * blobs, counts blob requests, and can serve corrupt content for a digest.
 */
final class FakeRegistry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    private record Manifest(String mediaType, byte[] body) {
    }

    private FakeRegistry(HttpServer server) {
        this.server = server;
    }

    static FakeRegistry start() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            FakeRegistry r = new FakeRegistry(s);
            s.createContext("/v2/", r::handle);
            s.start();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Adds an image; returns the digest of its (platform) manifest. With {@code asIndex} the tag names an index. */
    String addImage(String name, String tag, List<byte[]> layers, Map<String, Object> runConfig, boolean asIndex) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", "amd64");
        config.put("os", "linux");
        config.put("config", runConfig);
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of()));
        byte[] configBytes = json(config);
        String configDigest = addBlob(configBytes);
        List<Map<String, Object>> layerDescs = new ArrayList<>();
        for (byte[] layer : layers) {
            layerDescs.add(Map.of("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest", addBlob(layer), "size", layer.length));
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OciDocuments.OCI_MANIFEST);
        manifest.put("config", Map.of("mediaType", OciDocuments.OCI_CONFIG, "digest", configDigest,
                "size", configBytes.length));
        manifest.put("layers", layerDescs);
        byte[] manifestBytes = json(manifest);
        String manifestDigest = Digest.of(manifestBytes).toString();
        manifests.put(name + "@" + manifestDigest, new Manifest(OciDocuments.OCI_MANIFEST, manifestBytes));
        if (asIndex) {
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("schemaVersion", 2);
            index.put("mediaType", OciDocuments.OCI_INDEX);
            index.put("manifests", List.of(
                    Map.of("mediaType", OciDocuments.OCI_MANIFEST, "digest", "sha256:" + "0".repeat(64),
                            "size", 10, "platform", Map.of("architecture", "arm64", "os", "linux")),
                    Map.of("mediaType", OciDocuments.OCI_MANIFEST, "digest", manifestDigest,
                            "size", manifestBytes.length, "platform", Map.of("architecture", "amd64", "os", "linux"))));
            manifests.put(name + ":" + tag, new Manifest(OciDocuments.OCI_INDEX, json(index)));
        } else {
            manifests.put(name + ":" + tag, new Manifest(OciDocuments.OCI_MANIFEST, manifestBytes));
        }
        return manifestDigest;
    }

    String addBlob(byte[] content) {
        String digest = Digest.of(content).toString();
        blobs.put(digest, content);
        return digest;
    }

    /** From now on, serve {@code content} for {@code digest} (a corrupt or tampered blob). */
    void serveInstead(String digest, byte[] content) {
        served.put(digest, content);
    }

    /** Serves the manifest {@code realDigest} also when asked for {@code claimedDigest} (a lying registry). */
    void serveManifestAs(String name, String realDigest, String claimedDigest) {
        manifests.put(name + "@" + claimedDigest, manifests.get(name + "@" + realDigest));
    }

    int blobRequests(String digest) {
        return requests.getOrDefault(digest, new AtomicInteger()).get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath().substring("/v2/".length());
            int m = path.indexOf("/manifests/");
            int b = path.indexOf("/blobs/");
            if (m > 0) {
                String name = path.substring(0, m);
                String ref = path.substring(m + "/manifests/".length());
                Manifest found = manifests.get(name + (ref.startsWith("sha256:") ? "@" : ":") + ref);
                if (found == null) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
                } else {
                    send(ex, 200, found.mediaType(), found.body());
                }
            } else if (b > 0) {
                String digest = path.substring(b + "/blobs/".length());
                requests.computeIfAbsent(digest, k -> new AtomicInteger()).incrementAndGet();
                byte[] content = served.getOrDefault(digest, blobs.get(digest));
                if (content == null) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
                } else {
                    send(ex, 200, "application/octet-stream", content);
                }
            } else {
                send(ex, 404, "text/plain", new byte[0]);
            }
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
