package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A client of the cluster API ({@link ClusterApiServer}) on {@code java.net.http}. Every call blocks; every error,
 * the server's or the connection's, is a {@link ClusterException}: the server's Status body comes back as the
 * exception it was made from (code, message, hint, and for a bad field its path as a
 * {@link dev.kiln.cluster.model.ManifestException}). Connecting times out after 5 s, a call after 30 s; watches and
 * log streams have no time limit.
 */
public final class ClusterClient implements AutoCloseable {
    /** Where {@code kiln up} serves the API. */
    public static final URI DEFAULT_SERVER = URI.create("http://127.0.0.1:" + ClusterApiServer.DEFAULT_PORT);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI server;
    private final HttpClient http;
    private final ApiToken token;
    private final Set<ClientWatch> watches = ConcurrentHashMap.newKeySet();

    private ClusterClient(URI server, HttpClient http, ApiToken token) {
        this.server = server;
        this.http = http;
        this.token = token;
    }

    /**
     * A client of the server at {@code server}, such as {@code http://127.0.0.1:7070}, that sends {@code token} with
     * every call. Nothing is sent yet; see {@link #health()}.
     */
    public static ClusterClient connect(URI server, ApiToken token) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(token, "token");
        if (!("http".equals(server.getScheme()) || "https".equals(server.getScheme())) || server.getHost() == null) {
            throw new ClusterException(ClusterError.INVALID, "'" + server + "' is not an API server address",
                    "pass --server http://HOST:PORT, such as " + DEFAULT_SERVER);
        }
        URI base = URI.create(server.getScheme() + "://" + server.getRawAuthority());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT).build();
        return new ClusterClient(base, http, token);
    }

    /** The server's address. */
    public URI server() {
        return server;
    }

    /**
     * Checks that the server answers and its store is reachable.
     *
     * @throws ClusterException UNAVAILABLE otherwise
     */
    public void health() {
        call("GET", Routes.HEALTH, Optional.empty(), 200);
    }

    /** @throws ClusterException NOT_FOUND when there is no such resource */
    public Resource get(Kind kind, String name) {
        return Manifests.readJson(call("GET", item(kind, name), Optional.empty(), 200).body());
    }

    /** The resource of {@code type} named {@code name}. */
    public <R extends Resource> R get(Class<R> type, String name) {
        return type.cast(get(ResourceStore.kindOf(type), name));
    }

    /** The resources of {@code kind} that have every label of {@code labelSelector} (all of them when empty). */
    public List<Resource> list(Kind kind, Map<String, String> labelSelector) {
        return listing(kind, labelSelector).items();
    }

    /**
     * A list and the version the server read it at: a {@link #watch} from that version sees every change after the
     * list and nothing before it.
     */
    public record Listing(List<Resource> items, String resourceVersion) {
        public Listing {
            items = List.copyOf(items);
        }
    }

    /** As {@link #list}, with the list's resourceVersion. */
    public Listing listing(Kind kind, Map<String, String> labelSelector) {
        String query = labelSelector.isEmpty() ? "" : "?labelSelector="
                + encode(new LabelSelector(labelSelector).format());
        byte[] body = call("GET", collection(kind) + query, Optional.empty(), 200).body();
        return new Listing(items(body), listVersion(body));
    }

    private static String listVersion(byte[] body) {
        try {
            return ApiJson.TREE.readTree(body).path("metadata").path("resourceVersion").asText("");
        } catch (IOException e) {
            throw new ClusterException(ClusterError.INTERNAL, "the API server sent a list that is not JSON: "
                    + e.getMessage(), "check that --server names a kiln API server", e);
        }
    }

    /** Creates {@code r}; returns it as stored. @throws ClusterException ALREADY_EXISTS, INVALID */
    public Resource create(Resource r) {
        return Manifests.readJson(call("POST", collection(r.kind()), Optional.of(Manifests.toJson(r)), 201).body());
    }

    /**
     * What {@link #apply} did.
     *
     * @param action {@code created}, {@code configured} or {@code unchanged}
     */
    public record ApplyResult(Resource resource, String action) {
    }

    /**
     * Creates {@code r}, or sets the spec, labels and annotations of the existing one (keeping its status); nothing
     * changes when they are already equal.
     */
    public ApplyResult apply(Resource r) {
        HttpResponse<byte[]> response = call("PUT", item(r.kind(), named(r)) + "?apply=true",
                Optional.of(Manifests.toJson(r)), 200, 201);
        String action = response.headers().firstValue(ServerSideApply.HEADER)
                .orElse(response.statusCode() == 201 ? "created" : "configured");
        return new ApplyResult(Manifests.readJson(response.body()), action);
    }

    /**
     * Replaces {@code r}, which must carry the resourceVersion it was read at.
     *
     * @throws ClusterException CONFLICT when it changed since it was read
     */
    public Resource update(Resource r) {
        return Manifests.readJson(call("PUT", item(r.kind(), named(r)), Optional.of(Manifests.toJson(r)), 200)
                .body());
    }

    /** Deletes a resource; returns it as it was. @throws ClusterException NOT_FOUND */
    public Resource delete(Kind kind, String name) {
        return Manifests.readJson(call("DELETE", item(kind, name), Optional.empty(), 200).body());
    }

    /** Sets {@code spec.replicas} of a Deployment or NodePool; returns it as stored. */
    public Resource scale(Kind kind, String name, int replicas) {
        byte[] body = ("{\"replicas\":" + replicas + "}").getBytes(StandardCharsets.UTF_8);
        return Manifests.readJson(call("PUT", item(kind, name) + "/scale", Optional.of(body), 200).body());
    }

    /** The events about one object, oldest first. */
    public List<Event> events(Kind kind, String name) {
        String query = "?involvedKind=" + encode(kind.manifestName()) + "&involvedName=" + encode(name);
        return items(call("GET", collection(Kind.EVENT) + query, Optional.empty(), 200).body()).stream()
                .map(Event.class::cast).toList();
    }

    /**
     * One change a watch saw.
     *
     * @param type    {@code ADDED}, {@code MODIFIED}, {@code DELETED}, or {@code ERROR} (the watch has ended: list
     *                again and watch from the list's resourceVersion)
     * @param object  the resource; for DELETED the last version the server saw, or one with only kind and name (empty
     *                for an Event the server never saw, which cannot be made from its name alone)
     * @param message what went wrong, for ERROR; what was deleted, when the object is empty
     */
    public record ResourceEvent(String type, Optional<Resource> object, Optional<String> message) {
        public ResourceEvent {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Watches {@code kind}: without a resourceVersion every existing resource first arrives as ADDED, then each
     * change; with one, the changes after it. Events go to {@code onEvent} in order on one virtual thread. The
     * request is made before this returns, so a refused watch throws here; a watch that ends later (the server
     * stops, the history was compacted, the connection broke) delivers one ERROR event last. {@code close()} stops
     * it: no event is delivered after it returns.
     */
    public AutoCloseable watch(Kind kind, Optional<String> resourceVersion, Consumer<ResourceEvent> onEvent) {
        Objects.requireNonNull(onEvent, "onEvent");
        String path = collection(kind) + "?watch=true" + resourceVersion.map(v -> "&resourceVersion=" + encode(v))
                .orElse("");
        InputStream body = stream(path);
        ClientWatch watch = new ClientWatch(kind, server, body, onEvent, watches::remove);
        watches.add(watch);
        watch.start();
        return watch;
    }

    /**
     * The output of a pod's container ({@code container} may be empty when the pod has one); with {@code follow}
     * the stream stays open for new output until the container ends or the stream is closed.
     */
    public InputStream podLog(String pod, Optional<String> container, boolean follow) {
        List<String> query = new ArrayList<>();
        container.ifPresent(c -> query.add("container=" + encode(c)));
        if (follow) {
            query.add("follow=true");
        }
        return stream(item(Kind.POD, pod) + "/log" + (query.isEmpty() ? "" : "?" + String.join("&", query)));
    }

    /** Stops every watch this client started and every call in flight. */
    @Override
    public void close() {
        List.copyOf(watches).forEach(ClientWatch::close);
        http.shutdownNow();
    }

    private HttpResponse<byte[]> call(String method, String path, Optional<byte[]> body, int... ok) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").header("Authorization", token.header());
        body.ifPresentOrElse(b -> request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(b)),
                () -> request.method(method, HttpRequest.BodyPublishers.noBody()));
        HttpResponse<byte[]> response = send(request.build(), HttpResponse.BodyHandlers.ofByteArray(), path);
        for (int status : ok) {
            if (response.statusCode() == status) {
                return response;
            }
        }
        throw ApiErrors.fromResponse(response.statusCode(), response.body(), method + " " + path);
    }

    /** A GET whose body is streamed (no request timeout); a failed one throws with the server's Status. */
    private InputStream stream(String path) {
        HttpRequest request = HttpRequest.newBuilder(server.resolve(path)).header("Authorization", token.header())
                .GET().build();
        HttpResponse<InputStream> response = send(request, HttpResponse.BodyHandlers.ofInputStream(), path);
        if (response.statusCode() == 200) {
            return response.body();
        }
        byte[] error;
        try (InputStream in = response.body()) {
            error = in.readNBytes(1 << 20);
        } catch (IOException e) {
            error = new byte[0];
        }
        throw ApiErrors.fromResponse(response.statusCode(), error, "GET " + path);
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, String path) {
        try {
            return http.send(request, handler);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw unreachable(e);
        } catch (HttpTimeoutException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "the kiln API server at " + server
                    + " did not answer " + request.method() + " " + path + " within " + REQUEST_TIMEOUT.toSeconds()
                    + " s", "check that the cluster is healthy (kiln get hosts), then retry", e);
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw unreachable(e);
            }
            throw new ClusterException(ClusterError.UNAVAILABLE, "lost the connection to the kiln API server at "
                    + server + " during " + request.method() + " " + path + ": " + e.getMessage(), "retry", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterError.UNAVAILABLE, "interrupted during " + request.method() + " "
                    + path, e);
        }
    }

    private ClusterException unreachable(Exception e) {
        return new ClusterException(ClusterError.UNAVAILABLE, "no kiln API server at " + server,
                "start the cluster with `kiln up`, or pass --server URL", e);
    }

    private static List<Resource> items(byte[] body) {
        try {
            JsonNode items = ApiJson.TREE.readTree(body).path("items");
            List<Resource> out = new ArrayList<>(items.size());
            items.forEach(n -> out.add(ApiJson.resource(n)));
            return List.copyOf(out);
        } catch (IOException e) {
            throw new ClusterException(ClusterError.INTERNAL, "the API server sent a list that is not JSON: "
                    + e.getMessage(), "check that --server names a kiln API server", e);
        }
    }

    private static String named(Resource r) {
        if (r.name().isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "a " + r.kind().manifestName() + " needs metadata.name",
                    "name it in its manifest");
        }
        return r.name();
    }

    private static String collection(Kind kind) {
        return Routes.BASE + kind.plural();
    }

    private static String item(Kind kind, String name) {
        if (name.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "which " + kind.manifestName().toLowerCase()
                    + "? the name is empty", "name one: kiln get " + kind.plural() + " lists them");
        }
        return collection(kind) + "/" + segment(name);
    }

    /** A path segment: characters other than letters, digits and {@code -._~} percent-encoded. */
    private static String segment(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
