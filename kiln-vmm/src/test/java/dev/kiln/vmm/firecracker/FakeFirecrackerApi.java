package dev.kiln.vmm.firecracker;

import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A fake Firecracker API on a Unix socket, for testing the client without a VMM. It checks every request against
 * the published spec (a violation is answered with 400 and recorded), keeps the instance state, and refuses
 * calls in the wrong phase with Firecracker's 400 and fault messages. Its phase rules are its own table, written
 * from the spec's "Pre-boot only" / "Post-boot only" notes, so it checks {@link FcCall#callOf} instead of
 * trusting it. Every response it sends is validated against the spec too.
 *
 * <p>Like Firecracker it writes a line to the file given by {@code PUT /logger} for every later request and every
 * refusal, and on {@code FlushMetrics} appends the metrics line a test set with {@link #metricsLine} to the file given
 * by {@code PUT /metrics} (only below the socket's directory, never elsewhere on the host). Its knobs stand in for
 * what a guest or a broken VMM would do: {@link #failNext} answers the next matching call with an error,
 * {@link #onAction} tells a test about each action it accepted.
 */
final class FakeFirecrackerApi implements AutoCloseable {
    static final String NOT_AFTER_START = "The requested operation is not supported after starting the microVM.";
    static final String NOT_BEFORE_START = "The requested operation is not supported before starting the microVM.";

    private enum Rule { PRE, POST, ANY }

    private record Reply(int status, Optional<String> body) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final Path socket;
    private final String instanceId;
    /** Where "/" is for the files it is told of, as for a jailed Firecracker; empty: the host's "/". */
    private final Optional<Path> chroot;
    private final FirecrackerSpec spec = FirecrackerSpec.get();
    private final List<String> received = new ArrayList<>();
    private final List<String> bodies = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private FcState state = FcState.NOT_STARTED;
    private boolean configured;
    private boolean bootSource;
    private Optional<JsonNode> machineConfig = Optional.empty();
    private Optional<JsonNode> mmds = Optional.empty();
    private volatile Duration replyDelay = Duration.ZERO;
    private HttpFields lastHeaders = HttpFields.EMPTY;
    private Optional<Path> logPath = Optional.empty();
    private Optional<Path> metricsPath = Optional.empty();
    private Optional<String> metricsLine = Optional.empty();
    private final Map<String, Reply> failures = new HashMap<>();
    private volatile Consumer<String> actionListener = action -> { };

    private FakeFirecrackerApi(Path socket, String instanceId, Optional<Path> chroot) {
        this.socket = socket;
        this.instanceId = instanceId;
        this.chroot = chroot;
        this.server = new Server();
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws IOException {
                String method = request.getMethod();
                String path = request.getHttpURI().getPath();
                String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                recordHeaders(request.getHeaders());
                Duration delay = replyDelay;
                if (!delay.isZero()) {
                    try {
                        Thread.sleep(delay); // a knob of the fake, standing in for a stuck VMM
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                Reply reply = answer(method, path, body);
                if (reply.status() == 204 && method.equals("PUT") && path.equals("/actions")) {
                    actionListener.accept(parse(body).path("action_type").asText());
                }
                response.setStatus(reply.status());
                if (reply.body().isPresent()) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                    Content.Sink.write(response, true, reply.body().get(), callback);
                } else {
                    callback.succeeded();
                }
                return true;
            }
        });
    }

    static FakeFirecrackerApi start(Path socket) {
        return start(socket, Optional.empty());
    }

    /** A fake that, like a jailed Firecracker, resolves the paths it is given under {@code chroot}. */
    static FakeFirecrackerApi start(Path socket, Optional<Path> chroot) {
        FakeFirecrackerApi fake = new FakeFirecrackerApi(socket, "fake-" + socket.getParent().getFileName(), chroot);
        try {
            fake.server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the fake Firecracker API on " + socket, e);
        }
        return fake;
    }

    /** Knob: hold every reply for {@code delay}, like a VMM that stopped answering. */
    void delayReplies(Duration delay) {
        replyDelay = delay;
    }

    /** Knob: answer the next {@code call} (e.g. {@code "PUT /drives/root"}) with {@code status} and a fault message. */
    synchronized void failNext(String call, int status, String faultMessage) {
        failures.put(call, fault(status, faultMessage));
    }

    /** Knob: called with the action type (e.g. {@code InstanceStart}) after each action the fake accepted. */
    void onAction(Consumer<String> listener) {
        actionListener = listener;
    }

    /** Knob: the line written to the metrics file at each {@code FlushMetrics}; none is written until it is set. */
    synchronized void metricsLine(String line) {
        metricsLine = Optional.of(line);
    }

    Path socket() {
        return socket;
    }

    synchronized FcState state() {
        return state;
    }

    /** {@code "PUT /logger"} for every request that reached the fake, in order. */
    synchronized List<String> received() {
        return List.copyOf(received);
    }

    /** The body of every request in {@link #received()}, in the same order ("" when there was none). */
    synchronized List<String> receivedBodies() {
        return List.copyOf(bodies);
    }

    /** Requests or responses that broke the spec; a test expects none. */
    synchronized List<String> specViolations() {
        return List.copyOf(violations);
    }

    /** The headers of the last request. */
    synchronized HttpFields lastHeaders() {
        return lastHeaders;
    }

    private synchronized void recordHeaders(HttpFields headers) {
        lastHeaders = HttpFields.build(headers).asImmutable();
    }

    synchronized Optional<JsonNode> mmds() {
        return mmds.map(JsonNode::deepCopy);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the fake Firecracker API", e);
        }
    }

    private synchronized Reply answer(String method, String path, String body) {
        received.add(method + " " + path);
        bodies.add(body);
        Optional<String> requestBody = body.isEmpty() ? Optional.empty() : Optional.of(body);
        ValidationReport report = spec.validateRequest(method, path, requestBody);
        Reply reply;
        Reply injected = failures.remove(method + " " + path);
        if (report.hasErrors()) {
            violations.add("request " + method + " " + path + " " + body + ": " + report);
            reply = fault(400, "Invalid request: " + report.getMessages().getFirst().getMessage());
        } else if (injected != null) {
            reply = injected;
        } else {
            reply = route(method, path, requestBody.map(FakeFirecrackerApi::parse));
        }
        log("The API server received a " + method + " request on \"" + path + "\".");
        if (reply.status() >= 400) {
            log("Received Error. Status code: " + reply.status() + ". Message: " + reply.body().orElse(""));
        }
        ValidationReport replyReport = spec.validateResponse(method, path, reply.status(), reply.body());
        if (replyReport.hasErrors()) {
            violations.add("response to " + method + " " + path + " " + reply + ": " + replyReport);
        }
        return reply;
    }

    private Reply route(String method, String path, Optional<JsonNode> body) {
        String route = method + " " + path.replaceFirst("^/(drives|network-interfaces)/[^/]+$", "/$1/{id}");
        Rule rule = switch (route) {
            case "GET /", "GET /machine-config", "GET /version", "PUT /mmds", "PATCH /mmds", "GET /mmds" -> Rule.ANY;
            case "PUT /logger", "PUT /metrics", "PUT /machine-config", "PATCH /machine-config", "PUT /boot-source",
                    "PUT /drives/{id}", "PUT /network-interfaces/{id}", "PUT /vsock", "PUT /entropy", "PUT /balloon",
                    "PUT /mmds/config", "PUT /snapshot/load" -> Rule.PRE;
            case "PATCH /drives/{id}", "PATCH /network-interfaces/{id}", "PATCH /vm", "PUT /snapshot/create" -> Rule.POST;
            case "PUT /actions" -> switch (body.orElseThrow().path("action_type").asText()) {
                case "InstanceStart" -> Rule.PRE;
                case "FlushMetrics" -> Rule.ANY;
                default -> Rule.POST;
            };
            default -> null;
        };
        if (rule == null) {
            return fault(400, "Invalid request method and/or path: " + method + " " + path + ".");
        }
        if (rule == Rule.PRE && state != FcState.NOT_STARTED) {
            return fault(400, NOT_AFTER_START);
        }
        if (rule == Rule.POST && state == FcState.NOT_STARTED) {
            return fault(400, NOT_BEFORE_START);
        }
        return switch (route) {
            case "GET /" -> ok(JSON.createObjectNode().put("app_name", "Firecracker").put("id", instanceId)
                    .put("state", state.wire()).put("vmm_version", "1.16.1"));
            case "GET /version" -> ok(JSON.createObjectNode().put("firecracker_version", "1.16.1"));
            case "GET /machine-config" -> ok(machineConfig.orElseGet(() -> JSON.createObjectNode()
                    .put("vcpu_count", 1).put("mem_size_mib", 128).put("smt", false)
                    .put("track_dirty_pages", false).put("huge_pages", "None")));
            case "GET /mmds" -> mmds.map(FakeFirecrackerApi::ok)
                    .orElseGet(() -> fault(404, "The MMDS data store is not initialized."));
            case "PUT /mmds" -> {
                mmds = body;
                yield noContent();
            }
            case "PUT /machine-config" -> {
                configured = true;
                ObjectNode config = (ObjectNode) body.orElseThrow().deepCopy();
                config.putIfAbsent("smt", JSON.getNodeFactory().booleanNode(false));
                config.putIfAbsent("track_dirty_pages", JSON.getNodeFactory().booleanNode(false));
                config.putIfAbsent("huge_pages", JSON.getNodeFactory().textNode("None"));
                machineConfig = Optional.of(config);
                yield noContent();
            }
            case "PUT /boot-source" -> {
                configured = true;
                bootSource = true;
                yield noContent();
            }
            case "PUT /snapshot/load" -> {
                if (configured) {
                    yield fault(400, "Loading a microVM snapshot not allowed after configuring boot-specific resources.");
                }
                state = body.orElseThrow().path("resume_vm").asBoolean(false) ? FcState.RUNNING : FcState.PAUSED;
                yield noContent();
            }
            case "PUT /snapshot/create" -> state == FcState.PAUSED ? noContent()
                    : fault(400, "Cannot create snapshot: the microVM is not paused.");
            case "PATCH /vm" -> {
                state = body.orElseThrow().path("state").asText().equals("Paused") ? FcState.PAUSED : FcState.RUNNING;
                yield noContent();
            }
            case "PUT /actions" -> {
                String action = body.orElseThrow().path("action_type").asText();
                if (action.equals("InstanceStart")) {
                    if (!bootSource) {
                        yield fault(400, "Cannot start microvm without kernel configuration.");
                    }
                    state = FcState.RUNNING;
                }
                if (action.equals("FlushMetrics")) {
                    if (metricsPath.isEmpty()) {
                        yield fault(400, "The metrics system is not initialized.");
                    }
                    metricsLine.ifPresent(line -> append(metricsPath.get(), line));
                }
                yield noContent();
            }
            case "PUT /logger" -> {
                logPath = Optional.of(onHost(body.orElseThrow().path("log_path").asText()));
                yield noContent();
            }
            case "PUT /metrics" -> {
                metricsPath = Optional.of(onHost(body.orElseThrow().path("metrics_path").asText()));
                yield noContent();
            }
            default -> {
                configured = true;
                yield noContent();
            }
        };
    }

    private Path onHost(String path) {
        Path p = Path.of(path);
        return chroot.map(root -> root.resolve(p.isAbsolute() ? p.getRoot().relativize(p) : p)).orElse(p);
    }

    private void log(String line) {
        logPath.ifPresent(p -> append(p, "[" + instanceId + ":fc_api] " + line));
    }


    /** Writes only below the socket's directory (a test's own): a fake must never touch the host's real paths. */
    private void append(Path file, String line) {
        if (!file.toAbsolutePath().normalize().startsWith(socket.getParent())) {
            return;
        }
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            // like Firecracker, a log or metrics file that cannot be written does not fail the request
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("body passed the spec but is not JSON: " + body, e);
        }
    }

    private static Reply ok(JsonNode body) {
        return new Reply(200, Optional.of(body.toString()));
    }

    private static Reply noContent() {
        return new Reply(204, Optional.empty());
    }

    private static Reply fault(int status, String message) {
        return new Reply(status, Optional.of(JSON.createObjectNode().put("fault_message", message).toString()));
    }
}
