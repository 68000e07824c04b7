package dev.kiln.host;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.api.agent.AgentError;
import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerStats;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;
import dev.kiln.api.agent.GuestFacts;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The host's client of one guest agent (see {@link AgentProtocol}): HTTP on the VM's address with the VM's
 * bearer token. Agent errors become {@link HostException}s that keep the agent's message and hint.
 */
final class AgentClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = Json.mapper().copy().disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    /** Pulling and unpacking an image under TCG takes minutes: about 10 MiB/s here, so 30 min is 18 GB. */
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final String ip;
    private final String token;

    AgentClient(String ip, String token) {
        this.ip = ip;
        this.token = token;
    }

    /** True when the agent answers its health check (which needs no token). */
    static boolean healthy(String ip, Duration timeout) {
        return health(ip, timeout).isPresent();
    }

    /** The agent's health answer, or empty when it does not answer in time (or not with 200). */
    static Optional<dev.kiln.api.agent.Health> health(String ip, Duration timeout) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + AgentProtocol.PORT + AgentProtocol.HEALTH_PATH))
                .timeout(timeout).GET().build();
        try {
            HttpResponse<byte[]> r = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            try {
                return Optional.of(JSON.readValue(r.body(), dev.kiln.api.agent.Health.class));
            } catch (IOException e) {
                return Optional.of(dev.kiln.api.agent.Health.ok()); // it answered; what it said is beside the point
            }
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    GuestFacts facts() {
        return call(getting(AgentProtocol.FACTS_PATH), CALL_TIMEOUT, GuestFacts.class);
    }

    dev.kiln.api.agent.ImageInfo pull(dev.kiln.api.agent.PullRequest request) {
        return call(post(AgentProtocol.PULL_PATH, request), RUN_TIMEOUT, dev.kiln.api.agent.ImageInfo.class);
    }

    ContainerInfo run(ContainerSpec spec) {
        return call(post(AgentProtocol.CONTAINERS_PATH, spec), RUN_TIMEOUT, ContainerInfo.class);
    }

    List<ContainerInfo> list() {
        return call(getting(AgentProtocol.CONTAINERS_PATH), CALL_TIMEOUT, new TypeReference<>() { });
    }

    ContainerInfo get(String id) {
        return call(getting(AgentProtocol.containerPath(enc(id))), CALL_TIMEOUT, ContainerInfo.class);
    }

    ContainerInfo stop(String id, Duration timeout) {
        return call(post(AgentProtocol.containerPath(enc(id), "stop") + "?" + AgentProtocol.PARAM_TIMEOUT + "="
                + timeout, null), timeout.plus(CALL_TIMEOUT), ContainerInfo.class);
    }

    void remove(String id, boolean force) {
        send(builder(AgentProtocol.containerPath(enc(id)) + "?" + AgentProtocol.PARAM_FORCE + "=" + force).DELETE(),
                CALL_TIMEOUT, HttpResponse.BodyHandlers.ofByteArray());
    }

    ExecResult exec(String id, ExecRequest request) {
        Duration timeout = request.timeout().orElse(Duration.ofMinutes(5)).plus(CALL_TIMEOUT);
        return call(post(AgentProtocol.containerPath(enc(id), "exec"), request), timeout, ExecResult.class);
    }

    ContainerStats stats(String id) {
        return call(getting(AgentProtocol.containerPath(enc(id), "stats")), CALL_TIMEOUT, ContainerStats.class);
    }

    /** A file of the container's root file system, as a stream the caller closes. */
    InputStream readFile(String id, String path) {
        HttpRequest req = builder(AgentProtocol.containerPath(enc(id), "files") + "?" + AgentProtocol.PARAM_PATH + "=" + enc(path))
                .timeout(CALL_TIMEOUT.multipliedBy(10)).GET().build();
        HttpResponse<InputStream> r = sendRaw(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            try (InputStream body = r.body()) {
                throw error(r.statusCode(), body.readAllBytes());
            } catch (IOException e) {
                throw unreachable(e);
            }
        }
        return r.body();
    }

    /** Writes a file into the container's root file system (octal {@code mode}, e.g. {@code 0644}). */
    void writeFile(String id, String path, String mode, java.util.function.Supplier<InputStream> content) {
        send(builder(AgentProtocol.containerPath(enc(id), "files") + "?" + AgentProtocol.PARAM_PATH + "=" + enc(path)
                        + "&" + AgentProtocol.PARAM_MODE + "=" + enc(mode))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(content)), CALL_TIMEOUT.multipliedBy(10),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The container's log as a stream; with {@code follow} it ends when the container exits. The caller closes it. */
    InputStream logs(String id, boolean follow, String stream) {
        String path = AgentProtocol.containerPath(enc(id), "logs") + "?" + AgentProtocol.PARAM_FOLLOW + "=" + follow
                + "&" + AgentProtocol.PARAM_STREAM + "=" + enc(stream);
        HttpRequest req = builder(path).timeout(follow ? Duration.ofDays(365) : CALL_TIMEOUT).GET().build();
        HttpResponse<InputStream> r = sendRaw(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            try (InputStream body = r.body()) {
                throw error(r.statusCode(), body.readAllBytes());
            } catch (IOException e) {
                throw unreachable(e);
            }
        }
        return r.body();
    }

    // ---- pods ---------------------------------------------------------------------------------------------------

    /** Makes the pod's network in the guest (its namespace, ipvlan link, address and route); idempotent. */
    void putPodNetwork(String pod, dev.kiln.api.agent.PodNetworkRequest request) {
        send(builder(AgentProtocol.podNetworkPath(enc(pod))).header("Content-Type", AgentProtocol.JSON_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(request))), CALL_TIMEOUT,
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Removes the pod's network in the guest; idempotent. */
    void deletePodNetwork(String pod) {
        send(builder(AgentProtocol.podNetworkPath(enc(pod))).DELETE(), CALL_TIMEOUT,
                HttpResponse.BodyHandlers.ofByteArray());
    }

    // ---- functions ------------------------------------------------------------------------------------------

    /** Replaces the slot's function code with a zip. */
    void putFunctionCode(byte[] zip) {
        send(builder(AgentProtocol.FUNCTION_CODE_PATH).header("Content-Type", "application/zip")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(zip)), CALL_TIMEOUT.multipliedBy(10),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Starts the slot's function runtime (pulling its image first, if it has one). */
    dev.kiln.api.agent.FunctionState startFunction(dev.kiln.api.agent.FunctionSetup setup) {
        return call(post(AgentProtocol.FUNCTION_PATH, setup), CALL_TIMEOUT.multipliedBy(20),
                dev.kiln.api.agent.FunctionState.class);
    }

    /** The slot's function state (phase, the runtime's last output). */
    dev.kiln.api.agent.FunctionState functionState() {
        return call(getting(AgentProtocol.FUNCTION_PATH), CALL_TIMEOUT, dev.kiln.api.agent.FunctionState.class);
    }

    /** One invocation: waits for init (if cold) and the handler, at most {@code timeout}. */
    FunctionReply invoke(byte[] event, Duration timeout) {
        HttpRequest req = builder(AgentProtocol.FUNCTION_INVOKE_PATH).header("Content-Type", AgentProtocol.JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(event)).timeout(timeout).build();
        HttpResponse<byte[]> r = sendRaw(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) {
            throw error(r.statusCode(), r.body());
        }
        var h = r.headers();
        return new FunctionReply(h.firstValue(AgentProtocol.REQUEST_ID_HEADER).orElse(""),
                h.firstValue(AgentProtocol.FUNCTION_ERROR_HEADER), r.body(),
                h.firstValue(AgentProtocol.INIT_MS_HEADER).map(Double::parseDouble),
                h.firstValue(AgentProtocol.DURATION_MS_HEADER).map(Double::parseDouble).orElse(0.0));
    }

    /** Before a snapshot: the agent loads the code that its clones' identity changes run. */
    void prepareIdentity() {
        send(post(AgentProtocol.IDENTITY_PREPARE_PATH, null), CALL_TIMEOUT, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Tells a guest restored from a snapshot its own address, MAC, clock and entropy (it answers, then changes). */
    void identity(dev.kiln.api.agent.GuestIdentityChange change) {
        // A client of its own, so a new connection: the shared client keeps connections to the template's address
        // open, and every clone holds a copy of the template's side of them. Once one clone has used such a
        // connection, its sequence numbers no longer match the next clone's copy, which ignores the request.
        try (HttpClient once = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<byte[]> r = once.send(post(AgentProtocol.IDENTITY_PATH, change).timeout(CALL_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() / 100 != 2) {
                throw error(r.statusCode(), r.body());
            }
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(e);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private HttpRequest.Builder builder(String path) {
        return HttpRequest.newBuilder(URI.create("http://" + ip + ":" + AgentProtocol.PORT + path))
                .header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(token));
    }

    private HttpRequest.Builder getting(String path) {
        return builder(path).GET();
    }

    private HttpRequest.Builder post(String path, Object body) {
        return builder(path).header("Content-Type", AgentProtocol.JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body == null ? new byte[0] : bytes(body)));
    }

    private static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new HostException(HostError.INTERNAL, "cannot encode a request to the guest agent: " + e.getMessage(), "", e);
        }
    }

    private <T> T call(HttpRequest.Builder req, Duration timeout, Class<T> type) {
        byte[] body = send(req, timeout, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return JSON.readValue(body, type);
        } catch (IOException e) {
            throw badReply(e);
        }
    }

    private <T> T call(HttpRequest.Builder req, Duration timeout, TypeReference<T> type) {
        byte[] body = send(req, timeout, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return JSON.readValue(body, type);
        } catch (IOException e) {
            throw badReply(e);
        }
    }

    private byte[] send(HttpRequest.Builder req, Duration timeout, HttpResponse.BodyHandler<byte[]> handler) {
        HttpResponse<byte[]> r = sendRaw(req.timeout(timeout).build(), handler);
        if (r.statusCode() / 100 != 2) {
            throw error(r.statusCode(), r.body());
        }
        return r.body();
    }

    private <T> HttpResponse<T> sendRaw(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(req, handler);
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(e);
        }
    }

    /** The agent's error as a host error: its code picks the host's code, its message and hint are kept. */
    private static HostException error(int status, byte[] body) {
        AgentError e;
        try {
            e = JSON.readValue(body, AgentError.class);
        } catch (IOException notJson) {
            return new HostException(HostError.AGENT_ERROR, "the guest agent answered HTTP " + status + ": "
                    + new String(body, StandardCharsets.UTF_8).strip(), "see the agent's log in the guest");
        }
        HostError code = switch (e.code()) {
            case UNAUTHORIZED -> HostError.AGENT_ERROR;
            case BAD_REQUEST, MEMORY_LIMIT_TOO_HIGH, PATH_ESCAPES_ROOT -> HostError.INVALID_SPEC;
            case UNKNOWN_FIELD -> HostError.UNKNOWN_FIELD;
            case NOT_FOUND -> HostError.CONTAINER_NOT_FOUND;
            case CONFLICT -> HostError.NAME_TAKEN;
            case IMAGE_NOT_FOUND -> HostError.IMAGE_NOT_FOUND;
            case DIGEST_MISMATCH, BAD_IMAGE -> HostError.IMAGE_INVALID;
            case START_FAILED -> HostError.CONTAINER_FAILED;
            case DISK_FULL -> HostError.DISK_FULL;
            case TIMEOUT -> HostError.TIMEOUT;
            case METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE, REGISTRY_ERROR, RUNTIME_ERROR, INTERNAL -> HostError.AGENT_ERROR;
        };
        return new HostException(code, e.message(), e.hint());
    }

    private HostException unreachable(Exception e) {
        return new HostException(HostError.AGENT_ERROR, "cannot reach the guest agent at " + ip + ":" + AgentProtocol.PORT
                + ": " + e.getMessage(), "is the VM running? see 'kiln vm logs' and the agent's log in the guest");
    }

    private static HostException badReply(IOException e) {
        return new HostException(HostError.AGENT_ERROR, "the guest agent's reply is not what kiln expects: "
                + e.getMessage(), "the agent and the host may be of different kiln versions; rebuild the guest image");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
