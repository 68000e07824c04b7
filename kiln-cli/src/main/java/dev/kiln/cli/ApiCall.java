package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every call the daemon's API (docs/API.md) offers, as a closed set of typed records. {@link #route(ApiCall)} is
 * the single place that maps each call to its HTTP method, path, query, body and how long to wait for it.
 */
sealed interface ApiCall {
    /** How long a call that does no waiting of its own may take. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Extra time on top of a wait the daemon does on our behalf (a boot, a stop, a command). */
    Duration SLACK = Duration.ofSeconds(30);

    record Health(Duration timeout) implements ApiCall {}

    record ListVms() implements ApiCall {}

    record CreateVm(JsonNode request, boolean waitForBoot, Duration bootTimeout) implements ApiCall {}

    record GetVm(String name) implements ApiCall {}

    record Pause(String name) implements ApiCall {}

    record Resume(String name) implements ApiCall {}

    record Stop(String name, Duration timeout) implements ApiCall {}

    record Kill(String name) implements ApiCall {}

    record Remove(String name, boolean force) implements ApiCall {}

    record Logs(String name, boolean follow, int tail) implements ApiCall {}

    record Exec(String name, String command, Duration timeout) implements ApiCall {}

    record Stats(String name) implements ApiCall {}

    record Metrics() implements ApiCall {}

    record ListImages() implements ApiCall {}

    record InspectImage(String ref) implements ApiCall {}

    record ImportImage(String path, java.util.List<String> tags) implements ApiCall {}

    record RemoveImage(String ref) implements ApiCall {}

    record BuildImage(String spec, String tag) implements ApiCall {}

    /** {@code timeout}: a fresh VM boots, then the guest pulls and unpacks the image. */
    record RunContainer(JsonNode request, Duration timeout) implements ApiCall {}

    record ListContainers() implements ApiCall {}

    record GetContainer(String name) implements ApiCall {}

    record StopContainer(String name, Duration timeout) implements ApiCall {}

    record RemoveContainer(String name, boolean force) implements ApiCall {}

    record ExecContainer(String name, JsonNode request, Duration timeout) implements ApiCall {}

    record ContainerLogs(String name, boolean follow, String stream) implements ApiCall {}

    record ContainerStats(String name) implements ApiCall {}

    record AgentFacts(String vm) implements ApiCall {}

    record ReadFile(String name, String path) implements ApiCall {}

    /** The file's bytes are sent by {@link DaemonClient#copyIn}; the route carries no JSON body. */
    record WriteFile(String name, String path, String mode) implements ApiCall {}

    record PullIntoVm(String vm, String image) implements ApiCall {}

    record Shutdown(boolean cleanup) implements ApiCall {}

    record ClusterStatus() implements ApiCall {}

    record ClusterUp(JsonNode options) implements ApiCall {}

    record ClusterDown() implements ApiCall {}

    enum Method { GET, POST, PUT, DELETE }

    /**
     * An HTTP request to make. {@code timeout} bounds the whole exchange and the time the connection may be idle;
     * empty means no bound (a followed log stream).
     */
    record Route(Method method, String path, Map<String, String> query, Optional<JsonNode> body,
                 Optional<Duration> timeout) {
    }

    static Route route(ApiCall call) {
        return switch (call) {
            case Health h -> get("/v1/health", h.timeout());
            case ListVms l -> get("/v1/vms", DEFAULT_TIMEOUT);
            case CreateVm c -> new Route(Method.POST, "/v1/vms", Map.of("wait", Boolean.toString(c.waitForBoot())),
                    Optional.of(c.request()),
                    Optional.of(c.waitForBoot() ? c.bootTimeout().plus(SLACK) : DEFAULT_TIMEOUT));
            case GetVm g -> get(vm(g.name()), DEFAULT_TIMEOUT);
            case Pause p -> post(vm(p.name()) + "/pause", Map.of(), DEFAULT_TIMEOUT);
            case Resume r -> post(vm(r.name()) + "/resume", Map.of(), DEFAULT_TIMEOUT);
            case Stop s -> post(vm(s.name()) + "/stop", Map.of("timeout", Durations.toApi(s.timeout())),
                    s.timeout().plus(SLACK));
            case Kill k -> post(vm(k.name()) + "/kill", Map.of(), DEFAULT_TIMEOUT);
            case Remove r -> new Route(Method.DELETE, vm(r.name()), Map.of("force", Boolean.toString(r.force())),
                    Optional.empty(), Optional.of(DEFAULT_TIMEOUT.plus(SLACK)));
            case Logs l -> {
                Map<String, String> query = new LinkedHashMap<>();
                query.put("follow", Boolean.toString(l.follow()));
                query.put("tail", Integer.toString(l.tail()));
                yield new Route(Method.GET, vm(l.name()) + "/logs", query, Optional.empty(),
                        l.follow() ? Optional.empty() : Optional.of(DEFAULT_TIMEOUT));
            }
            case Exec e -> new Route(Method.POST, vm(e.name()) + "/exec", Map.of(),
                    Optional.of(JsonNodeFactory.instance.objectNode().put("command", e.command())
                            .put("timeout", Durations.toApi(e.timeout()))),
                    Optional.of(e.timeout().plus(SLACK)));
            case Stats s -> get(vm(s.name()) + "/stats", DEFAULT_TIMEOUT);
            case Metrics m -> get("/metrics", DEFAULT_TIMEOUT);
            case ListImages l -> get("/v1/images", DEFAULT_TIMEOUT);
            case InspectImage i -> new Route(Method.GET, "/v1/images", Map.of("ref", i.ref()), Optional.empty(),
                    Optional.of(DEFAULT_TIMEOUT));
            case ImportImage i -> {
                var body = JsonNodeFactory.instance.objectNode().put("path", i.path());
                if (!i.tags().isEmpty()) i.tags().forEach(body.putArray("tags")::add);
                yield new Route(Method.POST, "/v1/images/import", Map.of(), Optional.of(body),
                        Optional.of(Duration.ofMinutes(10)));
            }
            case BuildImage b -> new Route(Method.POST, "/v1/images/build", Map.of(),
                    Optional.of(JsonNodeFactory.instance.objectNode().put("spec", b.spec()).put("tag", b.tag())),
                    Optional.of(Duration.ofMinutes(30)));
            case RemoveImage r -> new Route(Method.DELETE, "/v1/images", Map.of("ref", r.ref()), Optional.empty(),
                    Optional.of(DEFAULT_TIMEOUT));
            case RunContainer r -> new Route(Method.POST, "/v1/containers", Map.of(), Optional.of(r.request()),
                    Optional.of(r.timeout().plus(SLACK)));
            case ListContainers l -> get("/v1/containers", DEFAULT_TIMEOUT.plus(SLACK));
            case GetContainer g -> get(container(g.name()), DEFAULT_TIMEOUT);
            case StopContainer s -> post(container(s.name()) + "/stop", Map.of("timeout", Durations.toApi(s.timeout())),
                    s.timeout().plus(SLACK));
            case RemoveContainer r -> new Route(Method.DELETE, container(r.name()),
                    Map.of("force", Boolean.toString(r.force())), Optional.empty(), Optional.of(DEFAULT_TIMEOUT.plus(SLACK)));
            case ExecContainer e -> new Route(Method.POST, container(e.name()) + "/exec", Map.of(),
                    Optional.of(e.request()), Optional.of(e.timeout().plus(SLACK)));
            case ContainerLogs l -> new Route(Method.GET, container(l.name()) + "/logs",
                    Map.of("follow", Boolean.toString(l.follow()), "stream", l.stream()), Optional.empty(),
                    l.follow() ? Optional.empty() : Optional.of(DEFAULT_TIMEOUT));
            case ContainerStats s -> get(container(s.name()) + "/stats", DEFAULT_TIMEOUT);
            case AgentFacts a -> get(vm(a.vm()) + "/agent", DEFAULT_TIMEOUT);
            case ReadFile f -> new Route(Method.GET, container(f.name()) + "/files", Map.of("path", f.path()),
                    Optional.empty(), Optional.of(Duration.ofMinutes(10)));
            case WriteFile f -> new Route(Method.PUT, container(f.name()) + "/files",
                    Map.of("path", f.path(), "mode", f.mode()), Optional.empty(), Optional.of(Duration.ofMinutes(10)));
            case PullIntoVm p -> new Route(Method.POST, vm(p.vm()) + "/pull", Map.of(),
                    Optional.of(JsonNodeFactory.instance.objectNode().put("image", p.image())), Optional.of(Duration.ofMinutes(10)));
            case Shutdown s -> post("/v1/shutdown", s.cleanup() ? Map.of("cleanup", "true") : Map.of(), Duration.ofMinutes(2));
            case ClusterStatus c -> get("/v1/cluster", DEFAULT_TIMEOUT);
            case ClusterUp u -> new Route(Method.POST, "/v1/cluster", Map.of(), Optional.of(u.options()),
                    Optional.of(Duration.ofMinutes(2)));
            case ClusterDown d -> new Route(Method.DELETE, "/v1/cluster", Map.of(), Optional.empty(),
                    Optional.of(Duration.ofMinutes(5)));
        };
    }

    private static Route get(String path, Duration timeout) {
        return new Route(Method.GET, path, Map.of(), Optional.empty(), Optional.of(timeout));
    }

    private static Route post(String path, Map<String, String> query, Duration timeout) {
        return new Route(Method.POST, path, query, Optional.empty(), Optional.of(timeout));
    }

    private static String container(String name) {
        return "/v1/containers/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String vm(String name) {
        return "/v1/vms/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
