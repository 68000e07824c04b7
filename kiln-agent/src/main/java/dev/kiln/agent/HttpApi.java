package dev.kiln.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.agent.function.RuntimeApiServer;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.PodNetworkRequest;
import dev.kiln.api.agent.FunctionSetup;
import dev.kiln.api.agent.GuestIdentityChange;
import dev.kiln.api.agent.Health;
import dev.kiln.api.agent.PullRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's HTTP API on the JDK's built-in server: authenticates, parses the call ({@link ApiCall#parse}),
 * handles it in one exhaustive switch, and is the one place that turns errors into statuses and
 * {@link dev.kiln.api.agent.AgentError} bodies.
 */
final class HttpApi implements HttpHandler {
    /** Lambda's limit for a function's zip uploaded directly. */
    static final long MAX_CODE_ZIP_BYTES = 50L * 1024 * 1024;
    private final AgentService service;
    private final ContainerRuntime runtime;
    private final TokenCheck token;
    private final AgentConfig config;
    private final Functions functions;
    private final PodNetworks pods;
    /** When this agent started serving (its clock then): a host that sees it change knows the agent restarted. */
    private final long startedAt = System.currentTimeMillis();

    HttpApi(AgentService service, TokenCheck token, AgentConfig config, Functions functions) {
        this(service, token, config, functions, new PodNetworks());
    }

    HttpApi(AgentService service, TokenCheck token, AgentConfig config, Functions functions, PodNetworks pods) {
        this.pods = pods;
        this.service = service;
        this.functions = functions;
        this.runtime = service.runtime();
        this.token = token;
        this.config = config;
    }

    @Override
    public void handle(HttpExchange ex) {
        boolean[] sent = {false};
        try {
            String path = ex.getRequestURI().getRawPath();
            if (!path.equals(AgentProtocol.HEALTH_PATH)) {
                token.check(Optional.ofNullable(ex.getRequestHeaders().getFirst(AgentProtocol.AUTHORIZATION_HEADER)));
            }
            ApiCall call = ApiCall.parse(ex.getRequestMethod(), path, query(ex.getRequestURI().getRawQuery()));
            dispatch(call, ex, sent);
        } catch (AgentException e) {
            error(ex, sent[0], e);
        } catch (RuntimeException e) {
            e.printStackTrace();
            error(ex, sent[0], new AgentException(AgentErrorCode.INTERNAL, "internal error: " + e, e));
        } catch (IOException e) {
            // the client went away
        } finally {
            ex.close();
        }
    }

    private void dispatch(ApiCall call, HttpExchange ex, boolean[] sent) throws IOException {
        switch (call) {
            case ApiCall.Health h -> json(ex, 200, runtime.supervisionProblem()
                    .map(why -> Health.degraded(startedAt, why)).orElseGet(() -> Health.ok(startedAt)));
            case ApiCall.Facts f -> json(ex, 200, service.facts());
            case ApiCall.Pull p -> json(ex, 200, service.pull(body(ex, PullRequest.class)));
            case ApiCall.Create c -> {
                ContainerSpec spec = body(ex, ContainerSpec.class);
                spec.pod().ifPresent(pods::requireExists);
                json(ex, 201, service.create(spec));
            }
            case ApiCall.PodNetworkPut p -> {
                pods.create(p.pod(), body(ex, PodNetworkRequest.class));
                empty(ex, 204);
            }
            case ApiCall.PodNetworkDelete d -> {
                pods.remove(d.pod());
                empty(ex, 204);
            }
            case ApiCall.ListContainers l -> json(ex, 200, runtime.list());
            case ApiCall.Inspect i -> json(ex, 200, runtime.inspect(i.id()));
            case ApiCall.Stop s -> json(ex, 200, runtime.stop(s.id(), s.timeout().orElse(config.stopTimeout())));
            case ApiCall.Remove r -> {
                runtime.remove(r.id(), r.force());
                empty(ex, 204);
            }
            case ApiCall.Exec e -> json(ex, 200, runtime.exec(e.id(), body(ex, ExecRequest.class)));
            case ApiCall.Stats s -> json(ex, 200, runtime.stats(s.id()));
            case ApiCall.Logs l -> {
                ContainerRuntime.Logs logs = runtime.logs(l.id());
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(200, 0);
                sent[0] = true;
                try (OutputStream out = ex.getResponseBody()) {
                    LogStreamer.stream(logs, l.stream(), l.follow(), out);
                }
            }
            case ApiCall.GetFile g -> {
                Path file = ContainerFiles.source(runtime.rootfs(g.id()), g.path());
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, Files.size(file));
                sent[0] = true;
                try (OutputStream out = ex.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
            case ApiCall.FunctionCode c -> {
                checkLength(ex, MAX_CODE_ZIP_BYTES);
                try (InputStream in = ex.getRequestBody()) {
                    functions.putCode(in, MAX_CODE_ZIP_BYTES);
                }
                empty(ex, 204);
            }
            case ApiCall.FunctionStart s -> json(ex, 201, functions.start(body(ex, FunctionSetup.class)));
            case ApiCall.FunctionGet g -> json(ex, 200, functions.state());
            case ApiCall.FunctionStop s -> {
                functions.stop();
                empty(ex, 204);
            }
            case ApiCall.FunctionInvoke i -> invoke(ex);
            case ApiCall.Identity i -> {
                GuestIdentityChange change = body(ex, GuestIdentityChange.class);
                empty(ex, 202);
                Identity.applyLater(change);
            }
            case ApiCall.IdentityPrepare i -> {
                Identity.prepare();
                empty(ex, 204);
            }
            case ApiCall.PutFile p -> {
                checkLength(ex, config.maxFileBytes());
                Path root = runtime.rootfs(p.id());
                try (InputStream in = ex.getRequestBody()) {
                    ContainerFiles.write(root, p.path(), in, config.maxFileBytes(), p.mode());
                }
                empty(ex, 204);
            }
        }
    }

    /**
     * One invocation: the event is the raw body (at most 6 MB, as Lambda takes); the reply's body is the result or
     * the error document, with the request id, the error's type and the times in headers.
     */
    private void invoke(HttpExchange ex) throws IOException {
        checkLength(ex, RuntimeApiServer.MAX_RESPONSE_BYTES);
        byte[] event;
        try (InputStream in = ex.getRequestBody()) {
            event = in.readNBytes(RuntimeApiServer.MAX_RESPONSE_BYTES + 1);
        }
        if (event.length > RuntimeApiServer.MAX_RESPONSE_BYTES) {
            throw tooLarge(RuntimeApiServer.MAX_RESPONSE_BYTES);
        }
        var out = functions.invoke(event,
                Optional.ofNullable(ex.getRequestHeaders().getFirst(AgentProtocol.CLIENT_CONTEXT_HEADER)));
        var headers = ex.getResponseHeaders();
        headers.set("Content-Type", AgentProtocol.JSON_TYPE);
        headers.set(AgentProtocol.REQUEST_ID_HEADER, out.requestId());
        if (out.reply().functionError()) {
            headers.set(AgentProtocol.FUNCTION_ERROR_HEADER, out.reply().errorType());
        }
        out.init().ifPresent(d -> headers.set(AgentProtocol.INIT_MS_HEADER, Double.toString(d.toNanos() / 1e6)));
        headers.set(AgentProtocol.DURATION_MS_HEADER, Double.toString(out.duration().toNanos() / 1e6));
        byte[] body = out.reply().body();
        ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    private <T> T body(HttpExchange ex, Class<T> type) throws IOException {
        checkLength(ex, config.maxJsonBytes());
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxJsonBytes() + 1));
        }
        if (bytes.length > config.maxJsonBytes()) {
            throw tooLarge(config.maxJsonBytes());
        }
        if (bytes.length == 0) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "the body is empty; send a JSON "
                    + type.getSimpleName());
        }
        return Json.readRequest(bytes, type);
    }

    private static void checkLength(HttpExchange ex, long max) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > max) {
                    throw tooLarge(max);
                }
            } catch (NumberFormatException e) {
                throw new AgentException(AgentErrorCode.BAD_REQUEST, "bad Content-Length: " + length);
            }
        }
    }

    private static AgentException tooLarge(long max) {
        return new AgentException(AgentErrorCode.PAYLOAD_TOO_LARGE, "the body is larger than " + max + " bytes");
    }

    private static void json(HttpExchange ex, int status, Object value) throws IOException {
        byte[] bytes = Json.write(value);
        ex.getResponseHeaders().set("Content-Type", AgentProtocol.JSON_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void empty(HttpExchange ex, int status) throws IOException {
        ex.sendResponseHeaders(status, -1);
    }

    private static void error(HttpExchange ex, boolean alreadySent, AgentException e) {
        if (alreadySent) {
            System.err.println("kiln-agent: " + e + " after the reply started");
            return;
        }
        try {
            if (e.code() == AgentErrorCode.UNAUTHORIZED) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"kiln-agent\"");
            }
            json(ex, AgentException.httpStatus(e.code()), e.toError());
        } catch (IOException io) {
            // the client went away
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }
}
