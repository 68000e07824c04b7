package dev.kiln.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * A client of the kiln host daemon's HTTP API (docs/API.md) over its Unix socket. One instance holds one Jetty
 * {@link HttpClient}; close it when done. Every failure is a {@link CliException}: the daemon's own errors carry
 * its code, message and hint; a daemon that cannot be reached is a {@link DaemonUnreachableException}.
 */
public final class DaemonClient implements AutoCloseable {
    private static final int MAX_BODY_BYTES = 64 << 20;
    /** How long a followed log stream may go without output before the connection is dropped: never, in practice. */
    private static final Duration NO_IDLE_LIMIT = Duration.ofDays(365);

    private final Path socket;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http;
    private final Transport transport;

    /** Connects lazily: constructing a client does not touch the socket. */
    public DaemonClient(Path socket) {
        this.socket = socket;
        this.transport = new Transport.TCPUnix(socket);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("kiln-client");
        threads.setDaemon(true);
        this.http = new HttpClient();
        http.setExecutor(threads);
        http.setScheduler(new ScheduledExecutorScheduler("kiln-client-scheduler", true));
        http.setConnectTimeout(5_000);
        http.setFollowRedirects(false);
        try {
            http.start();
        } catch (Exception e) {
            throw new CliException("INTERNAL", "cannot start the HTTP client: " + e, "", ExitCodes.FAILURE, e);
        }
    }

    public Path socket() {
        return socket;
    }

    /** {@code GET /v1/health}, waiting up to 10 s. */
    public Health health() {
        return health(Duration.ofSeconds(10));
    }

    public Health health(Duration timeout) {
        return Health.fromJson(healthJson(timeout));
    }

    /** {@code GET /v1/health} as the daemon answered it, waiting up to 10 s. */
    public JsonNode healthJson() {
        return healthJson(Duration.ofSeconds(10));
    }

    public JsonNode healthJson(Duration timeout) {
        return call(new ApiCall.Health(timeout));
    }

    /** {@code GET /v1/vms}: every VM's {@code VmView}. */
    public List<JsonNode> listVms() {
        List<JsonNode> vms = new ArrayList<>();
        call(new ApiCall.ListVms()).path("vms").forEach(vms::add);
        return vms;
    }

    /**
     * {@code POST /v1/vms}. With {@code waitForBoot} the daemon answers once the guest is ready (or failed to
     * boot within {@code bootTimeout}); without it, at once with the VM booting.
     */
    public JsonNode createVm(JsonNode request, boolean waitForBoot, Duration bootTimeout) {
        return call(new ApiCall.CreateVm(request, waitForBoot, bootTimeout));
    }

    /** {@code GET /v1/vms/{name}}: the VM by name or id. */
    public JsonNode vm(String name) {
        return call(new ApiCall.GetVm(name));
    }

    public JsonNode pause(String name) {
        return call(new ApiCall.Pause(name));
    }

    public JsonNode resume(String name) {
        return call(new ApiCall.Resume(name));
    }

    /** Asks the guest to shut down, and kills it after {@code timeout}. */
    public JsonNode stop(String name, Duration timeout) {
        return call(new ApiCall.Stop(name, timeout));
    }

    public JsonNode kill(String name) {
        return call(new ApiCall.Kill(name));
    }

    /** Removes a VM and all it had; {@code force} kills it first if it still runs. */
    public void remove(String name, boolean force) {
        call(new ApiCall.Remove(name, force));
    }

    /** Runs a shell command line in the guest. */
    public ExecResult exec(String name, String command, Duration timeout) {
        JsonNode n = call(new ApiCall.Exec(name, command, timeout));
        return new ExecResult(n.path("exitCode").asInt(-1), n.path("output").asText(""));
    }

    public JsonNode stats(String name) {
        return call(new ApiCall.Stats(name));
    }

    /** {@code GET /metrics}: Prometheus text. */
    public String metrics() {
        return exchange(ApiCall.route(new ApiCall.Metrics())).getContentAsString();
    }

    /** {@code POST /v1/shutdown}: the daemon stops; the VMs it runs keep running. */
    public void shutdown() {
        call(new ApiCall.Shutdown(false));
    }

    /**
     * {@code POST /v1/shutdown?cleanup=true}: the daemon removes every VM and all of kiln's host networking
     * (bridge, taps, nftables table), then stops. For daemons a command started for itself (demo, bench).
     */
    public void shutdownAndCleanUp() {
        call(new ApiCall.Shutdown(true));
    }

    /**
     * Streams a VM's console output to {@code sink} as it arrives, in chunks of text (not lines). Returns when the
     * output ends: at once without {@code follow}; with it, when the VM ends or the daemon stops.
     *
     * @param tail the last this many lines only; 0 means all
     */
    public void streamLogs(String name, boolean follow, int tail, Consumer<String> sink) {
        stream(ApiCall.route(new ApiCall.Logs(name, follow, tail)), sink);
    }

    /** Streams a container's output (stdout, stderr or both) to {@code sink}; with {@code follow} until it exits. */
    public void streamContainerLogs(String name, boolean follow, String stream, Consumer<String> sink) {
        stream(ApiCall.route(new ApiCall.ContainerLogs(name, follow, stream)), sink);
    }

    public List<JsonNode> listImages() {
        List<JsonNode> out = new java.util.ArrayList<>();
        call(new ApiCall.ListImages()).path("images").forEach(out::add);
        return out;
    }

    public JsonNode clusterStatus() {
        return call(new ApiCall.ClusterStatus());
    }

    public JsonNode clusterUp(JsonNode options) {
        return call(new ApiCall.ClusterUp(options));
    }

    public JsonNode clusterDown() {
        return call(new ApiCall.ClusterDown());
    }

    public JsonNode inspectImage(String ref) {
        return call(new ApiCall.InspectImage(ref));
    }

    public JsonNode importImage(String path, List<String> tags) {
        return call(new ApiCall.ImportImage(path, tags));
    }

    public JsonNode buildImage(String spec, String tag) {
        return call(new ApiCall.BuildImage(spec, tag));
    }

    public JsonNode removeImage(String ref) {
        return call(new ApiCall.RemoveImage(ref));
    }

    public JsonNode runContainer(JsonNode request, Duration timeout) {
        return call(new ApiCall.RunContainer(request, timeout));
    }

    public List<JsonNode> listContainers() {
        List<JsonNode> out = new java.util.ArrayList<>();
        call(new ApiCall.ListContainers()).path("containers").forEach(out::add);
        return out;
    }

    public JsonNode container(String name) {
        return call(new ApiCall.GetContainer(name));
    }

    public JsonNode stopContainer(String name, Duration timeout) {
        return call(new ApiCall.StopContainer(name, timeout));
    }

    public void removeContainer(String name, boolean force) {
        call(new ApiCall.RemoveContainer(name, force));
    }

    public JsonNode execContainer(String name, JsonNode request, Duration timeout) {
        return call(new ApiCall.ExecContainer(name, request, timeout));
    }

    /** Copies a file out of a container into {@code target}. */
    public void copyOut(String name, String path, java.io.OutputStream target) {
        ApiCall.Route route = ApiCall.route(new ApiCall.ReadFile(name, path));
        try (InputStream in = openStream(route)) {
            in.transferTo(target);
        } catch (IOException e) {
            throw failure(e, route);
        }
    }

    /** Copies a host file into a container at {@code path} with the octal {@code mode}. */
    public void copyIn(String name, java.nio.file.Path source, String path, String mode) {
        ApiCall.Route route = ApiCall.route(new ApiCall.WriteFile(name, path, mode));
        requireSocket();
        try {
            Request request = newRequest(route).body(new org.eclipse.jetty.client.PathRequestContent("application/octet-stream", source));
            ContentResponse response = new CompletableResponseListener(request, MAX_BODY_BYTES).send().get();
            if (response.getStatus() >= 400) {
                throw error(response.getStatus(), response.getContentAsString());
            }
        } catch (IOException e) {
            throw new CliException("FILE_NOT_FOUND", "cannot read " + source + ": " + e.getMessage(), "check the path", ExitCodes.FILE_NOT_FOUND, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(e);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), route);
        }
    }

    public JsonNode agentFacts(String vm) {
        return call(new ApiCall.AgentFacts(vm));
    }

    public JsonNode pullIntoVm(String vm, String image) {
        return call(new ApiCall.PullIntoVm(vm, image));
    }

    public JsonNode containerStats(String name) {
        return call(new ApiCall.ContainerStats(name));
    }

    private void stream(ApiCall.Route route, Consumer<String> sink) {
        try (InputStream in = openStream(route)) {
            decode(in, sink);
        } catch (IOException e) {
            throw failure(e, route);
        }
    }

    /** Sends the request and returns the response body as a stream once the status is known to be a success. */
    private InputStream openStream(ApiCall.Route route) {
        requireSocket();
        InputStreamResponseListener listener = new InputStreamResponseListener();
        newRequest(route).send(listener);
        Response response;
        try {
            response = listener.get(ApiCall.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(e);
        } catch (TimeoutException | ExecutionException e) {
            throw failure(e instanceof ExecutionException ? e.getCause() : e, route);
        }
        InputStream in = listener.getInputStream();
        if (response.getStatus() >= 400) {
            try (in) {
                throw error(response.getStatus(), new String(in.readNBytes(MAX_BODY_BYTES), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw failure(e, route);
            }
        }
        return in;
    }

    private static void decode(InputStream in, Consumer<String> sink) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer bytes = ByteBuffer.allocate(8192);
        CharBuffer chars = CharBuffer.allocate(8192);
        int n;
        while ((n = in.read(bytes.array(), bytes.position(), bytes.remaining())) != -1) {
            bytes.position(bytes.position() + n).flip();
            decoder.decode(bytes, chars, false);
            emit(chars, sink);
            bytes.compact();
        }
        bytes.flip();
        decoder.decode(bytes, chars, true);
        decoder.flush(chars);
        emit(chars, sink);
    }

    private static void emit(CharBuffer chars, Consumer<String> sink) {
        chars.flip();
        if (chars.hasRemaining()) sink.accept(chars.toString());
        chars.clear();
    }

    private JsonNode call(ApiCall call) {
        ContentResponse response = exchange(ApiCall.route(call));
        byte[] body = response.getContent();
        if (body.length == 0) return MissingNode.getInstance();
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new CliException("BAD_RESPONSE", "the daemon answered with something that is not JSON: "
                    + firstLine(response.getContentAsString()), "", ExitCodes.FAILURE, e);
        }
    }

    private ContentResponse exchange(ApiCall.Route route) {
        requireSocket();
        ContentResponse response;
        try {
            response = new CompletableResponseListener(newRequest(route), MAX_BODY_BYTES).send().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(e);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), route);
        }
        if (response.getStatus() >= 400) {
            throw error(response.getStatus(), response.getContentAsString());
        }
        return response;
    }

    private Request newRequest(ApiCall.Route route) {
        Request request = http.newRequest("http://localhost" + route.path()).transport(transport)
                .method(route.method().name());
        route.query().forEach(request::param);
        route.body().ifPresent(b -> request.body(new StringRequestContent("application/json", b.toString())));
        Duration limit = route.timeout().orElse(NO_IDLE_LIMIT);
        request.idleTimeout(limit.toMillis(), TimeUnit.MILLISECONDS);
        route.timeout().ifPresent(t -> request.timeout(t.toMillis(), TimeUnit.MILLISECONDS));
        return request;
    }

    private void requireSocket() {
        if (!Files.exists(socket)) throw DaemonUnreachableException.noSocket(socket);
    }

    /** The daemon's error body ({@code {"error":{"code","message","hint"}}}) as an exception. */
    private CliException error(int status, String body) {
        try {
            JsonNode e = json.readTree(body).path("error");
            if (e.hasNonNull("code")) {
                return CliException.fromDaemon(status, e.get("code").asText(),
                        e.path("message").asText("the daemon answered HTTP " + status), e.path("hint").asText(""));
            }
        } catch (JacksonException notJson) {
            // fall through: an error page from somewhere other than the API
        }
        String code = status == 500 ? "INTERNAL" : "HTTP_" + status;
        return CliException.fromDaemon(status, code, "the daemon answered HTTP " + status
                + (body.isBlank() ? "" : ": " + firstLine(body)), "");
    }

    private CliException failure(Throwable t, ApiCall.Route route) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String msg = String.valueOf(c.getMessage());
            if (c instanceof TimeoutException) {
                return new CliException("TIMEOUT", "the daemon did not answer " + route.method() + " " + route.path()
                        + route.timeout().map(d -> " within " + Durations.human(d)).orElse(""),
                        "the daemon's log (daemon.log in its state directory) may say why", ExitCodes.TIMEOUT, t);
            }
            if (c instanceof AccessDeniedException || msg.contains("Permission denied")) {
                return new CliException("PERMISSION_DENIED", "cannot connect to the kiln daemon on " + socket
                        + ": permission denied", "the socket is root-only; run kiln as root (e.g. with sudo)",
                        ExitCodes.DAEMON_UNREACHABLE, t);
            }
            if (c instanceof NoSuchFileException || msg.contains("No such file")) {
                return DaemonUnreachableException.noSocket(socket);
            }
            if (c instanceof ConnectException || msg.contains("Connection refused")) {
                return DaemonUnreachableException.refused(socket, t);
            }
        }
        String what = t instanceof SocketException || t instanceof IOException ? "the connection failed" : "failed";
        return new CliException("DAEMON_ERROR", route.method() + " " + route.path() + " on " + socket + " " + what
                + ": " + t, "the daemon may have stopped; its log (daemon.log in its state directory) may say why",
                ExitCodes.FAILURE, t);
    }

    private static CliException interrupted(InterruptedException e) {
        return new CliException("INTERRUPTED", "interrupted while waiting for the daemon", "", ExitCodes.FAILURE, e);
    }

    private static String firstLine(String s) {
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // closing at exit: nothing useful to do about a failure to stop
        }
    }
}
