package dev.kiln.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import dev.kiln.image.BuildSpec;
import dev.kiln.image.ImageBuild;
import dev.kiln.image.ImageStore;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes the v1 API (docs/API.md) to the VM service; the one place that turns errors into HTTP statuses. */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final long MAX_BODY = 1 << 20;
    /** Files copied into a container (PUT .../files) may be larger than any JSON body. */
    private static final long MAX_FILE = 256L << 20;

    private final VmService vms;
    private final ContainerService containers;
    private final ImageStore images;
    private final HostMetrics metrics;
    private final ObjectMapper json;
    private final HostAgent.HostInfo info;
    private final java.util.function.Consumer<Boolean> shutdown;
    private final ClusterMembership cluster;

    /** @param shutdown stops the agent; its argument says whether to remove every VM and all networking first */
    ApiHandler(VmService vms, ContainerService containers, ImageStore images, HostMetrics metrics, ObjectMapper json,
               HostAgent.HostInfo info, java.util.function.Consumer<Boolean> shutdown, ClusterMembership cluster) {
        this.vms = vms;
        this.containers = containers;
        this.images = images;
        this.metrics = metrics;
        this.json = json;
        this.info = info;
        this.shutdown = shutdown;
        this.cluster = cluster;
    }

    record ExecRequest(String command, java.util.Optional<String> timeout) {}

    record ErrorBody(Map<String, String> error) {}

    /** The body of POST /v1/images/import: a path on the host and optional names for the image. */
    record ImportRequest(String path, java.util.Optional<List<String>> tags) {}

    /** The body of POST /v1/vms/{name}/pull. */
    record PullBody(String image) {}

    /** The body of POST /v1/images/build: a build spec file on the host and the image's name. */
    record BuildRequest(String spec, String tag) {}

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = Request.getPathInContext(request);
        Fields query = Request.extractQueryParameters(request);
        List<String> seg = List.of(path.replaceAll("^/+|/+$", "").split("/"));
        try {
            boolean file = method.equals("PUT") && seg.size() == 4 && seg.get(1).equals("containers") && seg.get(3).equals("files");
            if (request.getLength() > (file ? MAX_FILE : MAX_BODY)) {
                drain(request);
                throw tooLarge(file ? MAX_FILE : MAX_BODY);
            }
            route(method, seg, query, request, response, callback);
        } catch (HostException e) {
            error(response, callback, e);
        } catch (RuntimeException e) {
            LOG.error("internal error on {} {}", method, path, e);
            error(response, callback, HostException.from(e));
        }
        return true;
    }

    private void route(String method, List<String> seg, Fields q, Request req, Response res, Callback cb) {
        String first = seg.isEmpty() ? "" : seg.get(0);
        if (first.equals("metrics") && method.equals("GET")) {
            text(res, cb, 200, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8");
            return;
        }
        if (!first.equals("v1") || seg.size() < 2) {
            throw notFound(method, seg);
        }
        String what = seg.get(1);
        switch (what) {
            case "health" -> {
                if (!method.equals("GET")) throw notFound(method, seg);
                Map<String, Object> health = new java.util.LinkedHashMap<>();
                health.put("status", "ok");
                health.putAll(json.convertValue(info, Map.class));
                health.put("vms", vms.list().size());
                ok(res, cb, 200, health);
            }
            case "shutdown" -> {
                if (!method.equals("POST")) throw notFound(method, seg);
                boolean cleanup = "true".equals(q.getValue("cleanup"));
                ok(res, cb, 200, Map.of("status", "stopping", "cleanup", cleanup));
                shutdown.accept(cleanup);
            }
            case "vms" -> vmRoutes(method, seg, q, req, res, cb);
            case "containers" -> containerRoutes(method, seg, q, req, res, cb);
            case "images" -> imageRoutes(method, seg, q, req, res, cb);
            case "cluster" -> {
                if (seg.size() != 2) throw notFound(method, seg);
                switch (method) {
                    case "GET" -> ok(res, cb, 200, Map.of("member", cluster.status().isPresent(),
                            "status", cluster.status().map(Object.class::cast).orElse(Map.of())));
                    case "POST" -> ok(res, cb, 200, cluster.up(read(req, dev.kiln.host.cluster.ClusterOptions.class)));
                    case "DELETE" -> ok(res, cb, 200, Map.of("left", cluster.down()));
                    default -> throw notFound(method, seg);
                }
            }
            default -> throw notFound(method, seg);
        }
    }

    private void vmRoutes(String method, List<String> seg, Fields q, Request req, Response res, Callback cb) {
        if (seg.size() == 2) {
            switch (method) {
                case "GET" -> ok(res, cb, 200, Map.of("vms", vms.list()));
                case "POST" -> {
                    VmCreateRequest body = read(req, VmCreateRequest.class);
                    boolean wait = !"false".equals(q.getValue("wait"));
                    ok(res, cb, 201, vms.create(body, wait));
                }
                default -> throw notFound(method, seg);
            }
            return;
        }
        String name = seg.get(2);
        String action = seg.size() > 3 ? seg.get(3) : "";
        switch (method + " " + action) {
            case "GET " -> ok(res, cb, 200, vms.get(name));
            case "DELETE " -> {
                vms.remove(name, "true".equals(q.getValue("force")));
                res.setStatus(204);
                cb.succeeded();
            }
            case "POST pause" -> ok(res, cb, 200, vms.pause(name));
            case "POST resume" -> ok(res, cb, 200, vms.resume(name));
            case "POST stop" -> ok(res, cb, 200, vms.stop(name, duration(q, "timeout", Duration.ofSeconds(10))));
            case "POST kill" -> ok(res, cb, 200, vms.kill(name));
            case "POST exec" -> {
                ExecRequest body = read(req, ExecRequest.class);
                if (body.command() == null || body.command().isBlank()) {
                    throw new HostException(HostError.BAD_REQUEST, "exec needs a command", "send {\"command\":\"uname -a\"}");
                }
                Duration timeout = body.timeout().map(Durations::parse).orElse(Duration.ofSeconds(30));
                var result = vms.exec(name, body.command(), timeout);
                ok(res, cb, 200, Map.of("exitCode", result.exitCode(), "output", result.output()));
            }
            case "GET stats" -> ok(res, cb, 200, vms.stats(name));
            case "GET agent" -> ok(res, cb, 200, containers.facts(name));
            case "POST pull" -> {
                PullBody body = read(req, PullBody.class);
                if (body.image() == null || body.image().isBlank()) {
                    throw new HostException(HostError.BAD_REQUEST, "pull needs an image", "send {\"image\":\"name:tag\"}");
                }
                ok(res, cb, 200, containers.pull(name, body.image()));
            }
            case "GET logs" -> logs(name, "true".equals(q.getValue("follow")), intParam(q, "tail"), res, cb);
            default -> throw notFound(method, seg);
        }
    }

    private void imageRoutes(String method, List<String> seg, Fields q, Request req, Response res, Callback cb) {
        String action = seg.size() > 2 ? seg.get(2) : "";
        String ref = q.getValue("ref");
        switch (method + " " + action) {
            case "GET " -> ok(res, cb, 200, ref == null ? Map.of("images", images.list()) : images.inspect(ref));
            case "POST import" -> {
                ImportRequest body = read(req, ImportRequest.class);
                if (body.path() == null || body.path().isBlank()) {
                    throw new HostException(HostError.BAD_REQUEST, "import needs a path", "send {\"path\":\"/abs/image.tar\"}");
                }
                Path source = Path.of(body.path());
                if (!source.isAbsolute()) {
                    throw new HostException(HostError.INVALID_SPEC, "image path '" + body.path() + "' is not absolute",
                            "give the full path");
                }
                if (!Files.exists(source)) {
                    throw new HostException(HostError.FILE_NOT_FOUND, "no file or directory " + source, "check the path");
                }
                ok(res, cb, 201, images.importFrom(source, body.tags().orElse(List.of())));
            }
            case "POST build" -> {
                BuildRequest body = read(req, BuildRequest.class);
                if (body.spec() == null || body.tag() == null || body.tag().isBlank()) {
                    throw new HostException(HostError.BAD_REQUEST, "build needs a spec file and a tag",
                            "send {\"spec\":\"/abs/image.yaml\",\"tag\":\"name:tag\"}");
                }
                Path spec = Path.of(body.spec());
                if (!spec.isAbsolute() || !Files.isRegularFile(spec)) {
                    throw new HostException(HostError.FILE_NOT_FOUND, "no build spec file " + spec, "give the full path of a YAML or JSON spec");
                }
                ok(res, cb, 201, ImageBuild.forHost(images, java.time.Clock.systemUTC(), Duration.ofMinutes(30))
                        .build(BuildSpec.read(spec), body.tag()));
            }
            case "DELETE " -> {
                if (ref == null) throw new HostException(HostError.BAD_REQUEST, "which image? add ?ref=NAME", "");
                ok(res, cb, 200, images.remove(ref));
            }
            default -> throw notFound(method, seg);
        }
    }

    private void containerRoutes(String method, List<String> seg, Fields q, Request req, Response res, Callback cb) {
        if (seg.size() == 2) {
            switch (method) {
                case "GET" -> ok(res, cb, 200, Map.of("containers", containers.list()));
                case "POST" -> ok(res, cb, 201, containers.run(read(req, ContainerRunRequest.class)));
                default -> throw notFound(method, seg);
            }
            return;
        }
        String name = seg.get(2);
        String action = seg.size() > 3 ? seg.get(3) : "";
        switch (method + " " + action) {
            case "GET " -> ok(res, cb, 200, containers.get(name));
            case "DELETE " -> {
                containers.remove(name, "true".equals(q.getValue("force")));
                res.setStatus(204);
                cb.succeeded();
            }
            case "POST stop" -> ok(res, cb, 200, containers.stop(name, duration(q, "timeout", Duration.ofSeconds(10))));
            case "POST exec" -> ok(res, cb, 200, containers.exec(name, read(req, dev.kiln.api.agent.ExecRequest.class)));
            case "GET stats" -> ok(res, cb, 200, containers.stats(name));
            case "GET files" -> {
                var in = containers.readFile(name, required(q, "path"));
                res.setStatus(200);
                res.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                try (in; OutputStream out = Content.Sink.asOutputStream(res)) {
                    in.transferTo(out);
                    cb.succeeded();
                } catch (IOException e) {
                    cb.failed(e);
                }
            }
            case "PUT files" -> {
                String mode = q.getValue("mode") == null ? "0644" : q.getValue("mode");
                var body = Content.Source.asInputStream(req);
                containers.writeFile(name, required(q, "path"), mode, () -> body);
                res.setStatus(204);
                cb.succeeded();
            }
            case "GET logs" -> {
                String stream = q.getValue("stream") == null ? "both" : q.getValue("stream");
                var in = containers.logs(name, "true".equals(q.getValue("follow")), stream);
                res.setStatus(200);
                res.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                try (in; OutputStream out = Content.Sink.asOutputStream(res)) {
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                    cb.succeeded();
                } catch (IOException e) {
                    cb.failed(e);
                }
            }
            default -> throw notFound(method, seg);
        }
    }

    private void logs(String name, boolean follow, int tail, Response res, Callback cb) {
        Path console = vms.consoleLog(name);
        res.setStatus(200);
        res.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        try (OutputStream out = Content.Sink.asOutputStream(res)) {
            long offset = 0;
            if (tail > 0 && Files.exists(console)) {
                List<String> lines = Files.readAllLines(console, StandardCharsets.ISO_8859_1);
                String last = String.join("\n", lines.subList(Math.max(0, lines.size() - tail), lines.size())) + "\n";
                out.write(last.getBytes(StandardCharsets.ISO_8859_1));
                offset = Files.size(console);
            }
            while (true) {
                offset = copyFrom(console, offset, out);
                out.flush();
                if (!follow || vms.hasEnded(name)) {
                    copyFrom(console, offset, out);
                    break;
                }
                Thread.sleep(200);
            }
            cb.succeeded();
        } catch (IOException e) {
            cb.failed(e); // the client hung up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cb.failed(e);
        } catch (HostException e) {
            cb.failed(e); // the VM was removed while following
        }
    }

    private static long copyFrom(Path file, long offset, OutputStream out) throws IOException {
        if (!Files.exists(file)) return offset;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (len <= offset) return offset;
            f.seek(offset);
            byte[] buf = new byte[(int) Math.min(len - offset, 1 << 20)];
            f.readFully(buf);
            out.write(buf);
            return offset + buf.length;
        }
    }

    /**
     * Reads and drops up to 16 MiB more of a refused body, so that a client still sending it reads the answer
     * instead of a broken pipe.
     */
    private static void drain(Request request) {
        try {
            java.io.InputStream in = Content.Source.asInputStream(request);
            byte[] buffer = new byte[8192];
            long left = 16L << 20;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; ) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot drain the request body: {}", e.toString());
        }
    }

    private static HostException tooLarge(long limit) {
        return new HostException(HostError.PAYLOAD_TOO_LARGE, "the request body is larger than " + (limit >> 20)
                + " MiB (" + limit + " bytes)", limit == MAX_BODY ? "a VM, container or image request is a small "
                + "JSON object (docs/API.md); files go into containers with 'kiln cp' (up to " + (MAX_FILE >> 20)
                + " MiB)" : "copy a smaller file, or split it");
    }

    private <T> T read(Request req, Class<T> type) {
        String body;
        try {
            // at most one byte past the limit is read: a chunked body of unknown length cannot fill the memory
            byte[] bytes = Content.Source.asInputStream(req).readNBytes((int) MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                drain(req);
                throw tooLarge(MAX_BODY);
            }
            body = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HostException(HostError.BAD_REQUEST, "cannot read the request body: " + e.getMessage(), "retry");
        }
        return RequestBodies.decode(json, body, type);
    }

    private static String required(Fields q, String key) {
        String v = q.getValue(key);
        if (v == null || v.isBlank()) {
            throw new HostException(HostError.BAD_REQUEST, "missing ?" + key + "=", "e.g. ?" + key + "=/etc/hostname");
        }
        return v;
    }

    private static Duration duration(Fields q, String key, Duration dflt) {
        String v = q.getValue(key);
        return v == null ? dflt : Durations.parse(v);
    }

    private static int intParam(Fields q, String key) {
        String v = q.getValue(key);
        if (v == null) return 0;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new HostException(HostError.BAD_REQUEST, key + " must be a number, got '" + v + "'", "e.g. ?" + key + "=20");
        }
    }

    private static HostException notFound(String method, List<String> seg) {
        return new HostException(HostError.BAD_REQUEST, "no such endpoint: " + method + " /" + String.join("/", seg),
                "see docs/API.md");
    }

    private void ok(Response res, Callback cb, int status, Object body) {
        try {
            text(res, cb, status, json.writeValueAsString(body), "application/json");
        } catch (JsonProcessingException e) {
            throw new HostException(HostError.INTERNAL, "cannot encode the answer: " + e.getMessage(), "this is a bug", e);
        }
    }

    private void error(Response res, Callback cb, HostException e) {
        Map<String, String> err = new java.util.LinkedHashMap<>();
        err.put("code", e.code().name());
        err.put("message", e.getMessage());
        err.put("hint", e.hint());
        try {
            text(res, cb, e.code().httpStatus(), json.writeValueAsString(new ErrorBody(err)), "application/json");
        } catch (JsonProcessingException ex) {
            cb.failed(ex);
        }
    }

    private static void text(Response res, Callback cb, int status, String body, String type) {
        res.setStatus(status);
        res.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        Content.Sink.write(res, true, body, cb);
    }
}
