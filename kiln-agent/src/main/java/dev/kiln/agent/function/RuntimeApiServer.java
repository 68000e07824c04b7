package dev.kiln.agent.function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The AWS Lambda Runtime API (version 2018-06-01) that a function's runtime polls, served for the slot's current
 * {@link Slot}. A runtime finds it through {@code AWS_LAMBDA_RUNTIME_API=host:port}.
 *
 * <pre>
 * GET  /2018-06-01/runtime/invocation/next              the event; headers below; blocks until there is one
 * POST /2018-06-01/runtime/invocation/{id}/response     the result (at most 6 MB) -> 202
 * POST /2018-06-01/runtime/invocation/{id}/error        an error document -> 202
 * POST /2018-06-01/runtime/init/error                   init failed -> 202
 * </pre>
 * The event comes with {@code Lambda-Runtime-Aws-Request-Id}, {@code Lambda-Runtime-Deadline-Ms} (epoch
 * milliseconds), {@code Lambda-Runtime-Invoked-Function-Arn}, {@code Lambda-Runtime-Trace-Id} and, if the caller
 * sent one, {@code Lambda-Runtime-Client-Context}. An error's type comes in {@code Lambda-Runtime-Function-Error-Type}
 * or, failing that, in the document's {@code errorType}. A request id that is not running gets 400
 * ({@code InvalidRequestID}); any call after the slot failed gets 500, and the runtime should exit.
 */
public final class RuntimeApiServer implements AutoCloseable {
    /** The largest result a RequestResponse invocation may return, as in Lambda: 6 MB. */
    public static final int MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
    static final String PREFIX = "/2018-06-01/runtime/";
    static final String REQUEST_ID = "Lambda-Runtime-Aws-Request-Id";
    static final String DEADLINE_MS = "Lambda-Runtime-Deadline-Ms";
    static final String FUNCTION_ARN = "Lambda-Runtime-Invoked-Function-Arn";
    static final String TRACE_ID = "Lambda-Runtime-Trace-Id";
    static final String CLIENT_CONTEXT = "Lambda-Runtime-Client-Context";
    static final String ERROR_TYPE = "Lambda-Runtime-Function-Error-Type";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Supplier<Slot> slot;

    private RuntimeApiServer(HttpServer server, Supplier<Slot> slot) {
        this.server = server;
        this.slot = slot;
    }

    /** Serves the Runtime API on {@code address} (port 0: any free port) for whatever slot {@code slot} names now. */
    public static RuntimeApiServer start(InetSocketAddress address, Supplier<Slot> slot) {
        try {
            HttpServer http = HttpServer.create(address, 64);
            RuntimeApiServer api = new RuntimeApiServer(http, slot);
            http.createContext("/", api::handle);
            http.setExecutor(api.executor);
            http.start();
            return api;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the Runtime API on " + address + ": " + e.getMessage(), e);
        }
    }

    /** {@code host:port}, the value of {@code AWS_LAMBDA_RUNTIME_API}. */
    public String endpoint() {
        InetSocketAddress a = server.getAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (!path.startsWith(PREFIX)) {
                problem(ex, 404, "NotFound", "no such Runtime API path: " + path);
                return;
            }
            String[] parts = path.substring(PREFIX.length()).split("/");
            if (parts.length == 2 && parts[0].equals("invocation") && parts[1].equals("next")) {
                if (only(ex, method, "GET")) next(ex);
            } else if (parts.length == 3 && parts[0].equals("invocation") && parts[2].equals("response")) {
                if (only(ex, method, "POST")) response(ex, parts[1]);
            } else if (parts.length == 3 && parts[0].equals("invocation") && parts[2].equals("error")) {
                if (only(ex, method, "POST")) error(ex, Optional.of(parts[1]));
            } else if (parts.length == 2 && parts[0].equals("init") && parts[1].equals("error")) {
                if (only(ex, method, "POST")) error(ex, Optional.empty());
            } else {
                problem(ex, 404, "NotFound", "no such Runtime API path: " + path);
            }
        } catch (SlotException e) {
            try {
                switch (e.reason()) {
                    case UNKNOWN_REQUEST -> problem(ex, 400, "InvalidRequestID", e.getMessage());
                    case FAILED, BUSY -> problem(ex, 500, "Runtime.Unavailable",
                            e.getMessage() + "; the runtime should exit");
                }
            } catch (IOException ignored) {
                // the runtime went away
            }
        } catch (IOException e) {
            // the runtime went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void next(HttpExchange ex) throws IOException, InterruptedException {
        Invocation inv = slot.get().next();
        var headers = ex.getResponseHeaders();
        headers.set("Content-Type", "application/json");
        headers.set(REQUEST_ID, inv.requestId());
        headers.set(DEADLINE_MS, Long.toString(inv.deadline().orElseThrow().toEpochMilli()));
        headers.set(FUNCTION_ARN, inv.functionArn());
        headers.set(TRACE_ID, inv.traceId());
        inv.clientContext().ifPresent(c -> headers.set(CLIENT_CONTEXT, c));
        byte[] body = inv.payload();
        ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private void response(HttpExchange ex, String requestId) throws IOException {
        byte[] body = read(ex, MAX_RESPONSE_BYTES + 1);
        if (body.length > MAX_RESPONSE_BYTES) {
            slot.get().error(requestId, "Function.ResponseSizeTooLarge", Reply.error("Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size (" + MAX_RESPONSE_BYTES
                            + " bytes).").body());
            problem(ex, 413, "RequestEntityTooLarge", "the response is larger than " + MAX_RESPONSE_BYTES + " bytes");
            return;
        }
        slot.get().respond(requestId, body);
        accepted(ex);
    }

    private void error(HttpExchange ex, Optional<String> requestId) throws IOException {
        byte[] body = read(ex, MAX_RESPONSE_BYTES);
        String type = Optional.ofNullable(ex.getRequestHeaders().getFirst(ERROR_TYPE)).filter(t -> !t.isBlank())
                .or(() -> errorTypeIn(body)).orElse("Unhandled");
        if (requestId.isPresent()) {
            slot.get().error(requestId.get(), type, body);
        } else {
            slot.get().initError(type, body);
        }
        accepted(ex);
    }

    private static Optional<String> errorTypeIn(byte[] body) {
        try {
            return Optional.ofNullable(JSON.readTree(body)).map(n -> n.path("errorType").asText("")).filter(t -> !t.isEmpty());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static byte[] read(HttpExchange ex, int limit) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(limit);
            in.transferTo(OutputStream.nullOutputStream());
            return body;
        }
    }

    private static boolean only(HttpExchange ex, String method, String allowed) throws IOException {
        if (method.equals(allowed)) {
            return true;
        }
        ex.getResponseHeaders().set("Allow", allowed);
        problem(ex, 405, "MethodNotAllowed", method + " is not allowed here; use " + allowed);
        return false;
    }

    private static void accepted(HttpExchange ex) throws IOException {
        send(ex, 202, JSON.writeValueAsBytes(Map.of("status", "OK")));
    }

    private static void problem(HttpExchange ex, int status, String type, String message) throws IOException {
        send(ex, status, JSON.writeValueAsBytes(Map.of("errorType", type, "errorMessage", message)));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
