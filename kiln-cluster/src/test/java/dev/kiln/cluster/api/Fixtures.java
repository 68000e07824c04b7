package dev.kiln.cluster.api;

import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Manifests and a raw HTTP client for the API tests. */
final class Fixtures {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Fixtures() {
    }

    static String deploymentYaml(String name, int replicas, String app) {
        return """
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata:
                  name: %s
                  labels:
                    app: %s
                spec:
                  replicas: %d
                  selector:
                    matchLabels:
                      app: %s
                  template:
                    metadata:
                      labels:
                        app: %s
                    spec:
                      containers:
                        - name: httpd
                          image: busybox-httpd:latest
                """.formatted(name, app, replicas, app, app);
    }

    static Deployment deployment(String name, int replicas, String app) {
        return (Deployment) Manifests.read(deploymentYaml(name, replicas, app), "test").getFirst();
    }

    static NodePool nodePool(String name, int replicas) {
        return (NodePool) Manifests.read("""
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata:
                  name: %s
                spec:
                  replicas: %d
                  profile:
                    cpus: 1
                    memory: 512Mi
                """.formatted(name, replicas), "test").getFirst();
    }

    static Pod pod(String name) {
        return (Pod) Manifests.read("""
                apiVersion: kiln.dev/v1
                kind: Pod
                metadata:
                  name: %s
                spec:
                  containers:
                    - name: main
                      image: busybox:1
                    - name: sidecar
                      image: busybox:1
                """.formatted(name), "test").getFirst();
    }

    /** One raw request, for status codes and headers. */
    static HttpResponse<String> send(ClusterApiServer server, String method, String path, String contentType,
                                     String body) {
        return send(server.uri(), Optional.of(server.token().header()), method, path, contentType, body);
    }

    /** One raw request with the given {@code Authorization} header, or none. */
    static HttpResponse<String> send(URI server, Optional<String> authorization, String method, String path,
                                     String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(30));
        authorization.ifPresent(a -> b.header("Authorization", a));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A POST whose body is sent chunked (no Content-Length), as a stream of unknown length is. */
    static HttpResponse<String> postChunked(ClusterApiServer server, String path, String contentType, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(server.uri().resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).header("Authorization", server.token().header())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("request failed: POST " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static HttpResponse<String> get(ClusterApiServer server, String path) {
        return send(server, "GET", path, null, null);
    }
}
