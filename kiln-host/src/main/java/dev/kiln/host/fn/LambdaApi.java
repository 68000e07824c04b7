package dev.kiln.host.fn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.FunctionReply;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import dev.kiln.cluster.api.ClusterApiServer;
import java.time.Clock;
import java.time.Instant;
import java.util.TreeMap;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lambda-compatible HTTP API (REST JSON, as the AWS SDKs and CLI speak it) over {@link FunctionService}:
 * CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, Put/Get/DeleteFunctionConcurrency and Invoke (RequestResponse, Event,
 * DryRun). Errors carry Lambda's type in {@code X-Amzn-ErrorType}, which the SDKs map to their exception classes.
 * Mounted on the cluster API's port (7070) under {@link #PREFIXES} as {@link #signed}: Signature Version 4 with
 * kiln's {@link LambdaCredentials}, or kiln's bearer token. {@link #handle} itself authenticates nothing (the guest
 * gateway hands guests' Invoke calls to it).
 */
public final class LambdaApi extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(LambdaApi.class);
    /** The path prefixes of Lambda's API versions that kiln serves. */
    public static final List<String> PREFIXES = List.of("/2015-03-31/", "/2017-10-31/", "/2019-09-30/");
    /** The largest request body read: a 50 MB zip, base64-encoded in JSON. */
    static final long MAX_BODY = 70L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter LAST_MODIFIED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    /** Fields of Create/UpdateFunctionConfiguration that kiln accepts without acting on them. */
    private static final Set<String> IGNORED = Set.of("Publish", "Tags", "TracingConfig", "KMSKeyArn",
            "DeadLetterConfig", "VpcConfig", "Layers", "EphemeralStorage", "LoggingConfig", "SnapStart",
            "FileSystemConfigs", "CodeSigningConfigArn", "ImageConfig", "RevisionId", "DryRun");
    private static final Set<String> CONFIG_FIELDS = Set.of("FunctionName", "Runtime", "Role", "Handler",
            "Description", "Timeout", "MemorySize", "Environment", "PackageType", "Architectures", "Code");

    private final FunctionService functions;
    private final String base;

    /** @param base the API's own URL ({@code http://127.0.0.1:7070}), for code download locations */
    public LambdaApi(FunctionService functions, String base) {
        this.functions = functions;
        this.base = base;
    }

    private record Answer(int status, byte[] body, Map<String, String> headers) {
        static Answer json(int status, JsonNode body) {
            try {
                return new Answer(status, JSON.writeValueAsBytes(body), Map.of("Content-Type", "application/json"));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Answer empty(int status) {
            return new Answer(status, new byte[0], Map.of());
        }
    }

    /** The request's body, read once: here, or already by the signature check. */
    @FunctionalInterface
    private interface Body {
        /** The body's bytes; more than {@code limit} is 413. */
        byte[] read(long limit);
    }

    /** Serves a request as it is, unauthenticated: what the guest gateway hands over, and the tests. */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        return serve(request, response, callback, Optional.empty());
    }

    /**
     * This API as the TCP port serves it ({@link ClusterApiServer.Access#TOKEN_OR_OWN}): a request whose kiln bearer
     * token the server accepted is served; any other must be signed with Signature Version 4 by {@code verifier}'s
     * access key, or it is refused with 403 as Lambda refuses it. The signature covers the body, so the body is read
     * (up to the call's limit) before the signature is checked; the rest of the header is checked first.
     */
    public Handler signed(SigV4Verifier verifier, Clock clock) {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (ClusterApiServer.authenticated(request)) {
                    return serve(request, response, callback, Optional.empty());
                }
                return serve(request, response, callback, Optional.of(new Check(verifier, clock)));
            }
        };
    }

    private record Check(SigV4Verifier verifier, Clock clock) {
    }

    private boolean serve(Request request, Response response, Callback callback, Optional<Check> check) {
        String method = request.getMethod();
        String path = Request.getPathInContext(request);
        String requestId = UUID.randomUUID().toString();
        Answer answer;
        try {
            Body body = limit -> read(request, limit);
            if (check.isPresent()) {
                Instant now = check.get().clock().instant();
                SigV4.Request unread = signed(request, new byte[0]);
                try {
                    check.get().verifier().precheck(unread, now);
                } catch (LambdaException refused) {
                    drain(request); // so that a client still sending its body reads the 403, not a reset
                    throw refused;
                }
                byte[] bytes = read(request, limitOf(path));
                check.get().verifier().verify(signed(request, bytes), now);
                body = limit -> {
                    if (bytes.length > limit) {
                        throw tooLarge(limit);
                    }
                    return bytes;
                };
            }
            answer = route(method, path, request, requestId, body);
        } catch (LambdaException e) {
            answer = error(e);
            LOG.debug("{} {} -> {} {}: {}", method, path, e.status(), e.type(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed", method, path, e);
            answer = error(new LambdaException(500, "ServiceException", e.getMessage() == null ? e.toString()
                    : e.getMessage()));
        }
        response.setStatus(answer.status());
        response.getHeaders().put("x-amzn-RequestId", requestId);
        answer.headers().forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put("Content-Length", answer.body().length);
        response.write(true, ByteBuffer.wrap(answer.body()), callback);
        return true;
    }

    /** Reads and drops up to 16 MiB of a refused request's body. */
    private static void drain(Request request) {
        try {
            InputStream in = Content.Source.asInputStream(request);
            byte[] buffer = new byte[8192];
            long left = 16L << 20;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; ) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot drain the request body: {}", e.toString());
        }
    }

    /** The most of a body a call may have: an invocation's payload, or a request with a zip. */
    static long limitOf(String path) {
        return path.endsWith("/invocations") || path.endsWith("/invocations/") ? FunctionService.MAX_PAYLOAD + 1L
                : MAX_BODY;
    }

    /** The request as Signature Version 4 sees it: method, raw path and query, headers, body. */
    private static SigV4.Request signed(Request request, byte[] body) {
        TreeMap<String, List<String>> headers = new TreeMap<>();
        for (HttpField f : request.getHeaders()) {
            headers.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>()).add(f.getValue());
        }
        String query = request.getHttpURI().getQuery();
        return new SigV4.Request(request.getMethod(), request.getHttpURI().getPath(), query == null ? "" : query,
                headers, body);
    }

    private Answer route(String method, String rawPath, Request request, String requestId, Body reader) {
        String path = rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        List<String> seg = new ArrayList<>();
        for (String s : path.substring(1).split("/")) {
            seg.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
        }
        if (seg.size() < 2 || !seg.get(1).equals("functions")) {
            throw notFound(method, rawPath);
        }
        String api = seg.getFirst();
        if (api.equals("2015-03-31")) {
            if (seg.size() == 2) {
                return switch (method) {
                    case "GET" -> list();
                    case "POST" -> Answer.json(201, configuration(create(body(reader))));
                    default -> throw notFound(method, rawPath);
                };
            }
            String name = seg.get(2);
            if (seg.size() == 3) {
                return switch (method) {
                    case "GET" -> Answer.json(200, getFunction(functions.get(name)));
                    case "DELETE" -> {
                        functions.delete(name);
                        yield Answer.empty(204);
                    }
                    default -> throw notFound(method, rawPath);
                };
            }
            if (seg.size() == 4) {
                switch (seg.get(3) + " " + method) {
                    case "configuration GET" -> {
                        return Answer.json(200, configuration(functions.get(name)));
                    }
                    case "configuration PUT" -> {
                        JsonNode body = body(reader);
                        return Answer.json(200, configuration(functions.updateConfiguration(name, change(body, false))));
                    }
                    case "code PUT" -> {
                        JsonNode body = body(reader);
                        known(body, Set.of("ZipFile", "ImageUri", "Publish", "DryRun", "RevisionId", "Architectures",
                                "S3Bucket", "S3Key", "S3ObjectVersion"));
                        noS3(body);
                        return Answer.json(200, configuration(functions.updateCode(name, zip(body.path("ZipFile")),
                                text(body, "ImageUri"))));
                    }
                    case "code GET" -> {
                        FunctionRecord r = functions.get(name);
                        return new Answer(200, codeOf(r), Map.of("Content-Type", "application/zip"));
                    }
                    case "invocations POST" -> {
                        return invoke(name, request, requestId, reader);
                    }
                    default -> throw notFound(method, rawPath);
                }
            }
        }
        if (seg.size() == 4 && seg.get(3).equals("concurrency")) {
            String name = seg.get(2);
            if (api.equals("2017-10-31") && method.equals("PUT")) {
                JsonNode body = body(reader);
                known(body, Set.of("ReservedConcurrentExecutions"));
                if (!body.path("ReservedConcurrentExecutions").canConvertToInt()) {
                    throw invalid("ReservedConcurrentExecutions is required, a number");
                }
                int n = body.path("ReservedConcurrentExecutions").asInt();
                functions.reserveConcurrency(name, Optional.of(n));
                return Answer.json(200, JSON.createObjectNode().put("ReservedConcurrentExecutions", n));
            }
            if (api.equals("2017-10-31") && method.equals("DELETE")) {
                functions.reserveConcurrency(name, Optional.empty());
                return Answer.empty(204);
            }
            if (api.equals("2019-09-30") && method.equals("GET")) {
                ObjectNode out = JSON.createObjectNode();
                functions.get(name).reservedConcurrency().ifPresent(n -> out.put("ReservedConcurrentExecutions", n));
                return Answer.json(200, out);
            }
        }
        throw notFound(method, rawPath);
    }

    private Answer list() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode items = out.putArray("Functions");
        for (FunctionRecord r : functions.list()) {
            items.add(configuration(r));
        }
        return Answer.json(200, out);
    }

    private FunctionRecord create(JsonNode body) {
        CreateFunction request = createRequest(body);
        return functions.create(request.name(), request.change());
    }

    /** A CreateFunction body, checked for shape: the service checks the values. */
    record CreateFunction(String name, FunctionService.Change change) {
    }

    /**
     * Decodes a CreateFunction body; {@link LambdaApiFuzzTest} holds it to returning or throwing a
     * {@link LambdaException} (InvalidParameterValueException) that says what is wrong.
     */
    static CreateFunction createRequest(JsonNode body) {
        known(body, CONFIG_FIELDS);
        String name = text(body, "FunctionName").orElseThrow(() -> invalid("FunctionName is required"));
        JsonNode code = body.path("Code");
        if (!code.isObject()) {
            throw invalid("Code is required: {\"ZipFile\": <base64 zip>} or {\"ImageUri\": <image>}");
        }
        known(code, Set.of("ZipFile", "ImageUri", "S3Bucket", "S3Key", "S3ObjectVersion", "SourceKMSKeyArn"));
        noS3(code);
        FunctionService.Change c = change(body, true);
        return new CreateFunction(name, new FunctionService.Change(c.runtime(), c.handler(), c.role(), c.description(),
                c.memoryMb(), c.timeoutSeconds(), c.environment(), c.packageType(), text(code, "ImageUri"),
                zip(code.path("ZipFile"))));
    }

    private static FunctionService.Change change(JsonNode body, boolean create) {
        known(body, CONFIG_FIELDS);
        if (!create && body.has("Code")) {
            throw invalid("Code is changed with UpdateFunctionCode, not UpdateFunctionConfiguration");
        }
        if (body.has("Architectures")) {
            for (JsonNode a : body.path("Architectures")) {
                if (!a.asText().equals("x86_64")) {
                    throw invalid("Architectures: kiln's hosts run x86_64 only, not " + a.asText());
                }
            }
        }
        Optional<Map<String, String>> env = Optional.empty();
        if (body.has("Environment")) {
            JsonNode vars = body.path("Environment").path("Variables");
            Map<String, String> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = vars.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getKey().matches("[a-zA-Z][a-zA-Z0-9_]*")) {
                    throw invalid("Environment variable name '" + e.getKey() + "' must be letters, digits and _");
                }
                m.put(e.getKey(), e.getValue().asText());
            }
            env = Optional.of(m);
        }
        return new FunctionService.Change(text(body, "Runtime"), text(body, "Handler"), text(body, "Role"),
                text(body, "Description"), integer(body, "MemorySize"), integer(body, "Timeout"), env,
                text(body, "PackageType"), Optional.empty(), Optional.empty());
    }

    private Answer invoke(String name, Request request, String requestId, Body reader) {
        Fields query = Request.extractQueryParameters(request);
        String qualifier = query.getValue("Qualifier");
        if (qualifier != null && !qualifier.equals("$LATEST")) {
            throw new LambdaException(404, "ResourceNotFoundException", "Function not found: "
                    + functions.arn(FunctionService.nameOf(name)) + ":" + qualifier + " (kiln keeps $LATEST only)");
        }
        String type = Optional.ofNullable(request.getHeaders().get("X-Amz-Invocation-Type")).orElse("RequestResponse");
        byte[] payload = reader.read(FunctionService.MAX_PAYLOAD + 1L);
        switch (type) {
            case "DryRun" -> {
                functions.get(name);
                return Answer.empty(204);
            }
            case "Event" -> {
                functions.invokeAsync(name, payload);
                return Answer.empty(202);
            }
            case "RequestResponse" -> {
                FunctionRecord record = functions.get(name);
                // another host forwarded it here, as its home or fallback: run it here, never forward it again
                boolean forwarded = request.getHeaders().get(FORWARDED_BY) != null;
                FunctionService.Invocation done = forwarded
                        ? new FunctionService.Invocation(functions.invokeHere(name, payload), "")
                        : functions.invoke(name, payload);
                SlotManager.Result r = done.result();
                FunctionReply reply = r.reply();
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("Content-Type", "application/json");
                headers.put("X-Amz-Executed-Version", "$LATEST");
                reply.functionError().ifPresent(e -> {
                    headers.put("X-Amz-Function-Error", "Unhandled");
                    headers.put(KILN_FUNCTION_ERROR, e);
                });
                if (!done.host().isEmpty()) {
                    headers.put(KILN_HOST, done.host());
                }
                headers.put(KILN_SLOT, r.slot());
                headers.put(KILN_COLD, Boolean.toString(r.cold()));
                headers.put(KILN_REQUEST_ID, reply.requestId());
                headers.put(KILN_DURATION_MS, Double.toString(reply.durationMs()));
                reply.initMs().ifPresent(ms -> headers.put(KILN_INIT_MS, Double.toString(ms)));
                if (r.cold()) {
                    headers.put(KILN_COLD_PHASES, phases(r));
                    if (!r.phases().isEmpty()) {
                        headers.put(KILN_OPEN_PHASES, openPhases(r));
                    }
                }
                if ("Tail".equals(request.getHeaders().get("X-Amz-Log-Type"))) {
                    headers.put("X-Amz-Log-Result", Base64.getEncoder().encodeToString(
                            report(reply, record, r).getBytes(StandardCharsets.UTF_8)));
                }
                return new Answer(200, reply.body(), headers);
            }
            default -> throw invalid("X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not " + type);
        }
    }

    /** Sent by a host that forwards an invocation to the host that runs it (its value: the sender's name). */
    public static final String FORWARDED_BY = "X-Kiln-Forwarded-By";
    /** The host that ran an invocation (when the functions are the cluster's). */
    public static final String KILN_HOST = "X-Kiln-Host";
    public static final String KILN_SLOT = "X-Kiln-Slot";
    public static final String KILN_COLD = "X-Kiln-Cold";
    public static final String KILN_COLD_PHASES = "X-Kiln-Cold-Phases";
    /** The slot's own start phases only ({@code KILN_COLD_PHASES} adds runtimeInit and handler). */
    public static final String KILN_OPEN_PHASES = "X-Kiln-Open-Phases";
    /** The function error's type ({@code X-Amz-Function-Error} says only Unhandled, as Lambda does). */
    public static final String KILN_FUNCTION_ERROR = "X-Kiln-Function-Error";
    public static final String KILN_REQUEST_ID = "X-Kiln-Request-Id";
    public static final String KILN_DURATION_MS = "X-Kiln-Duration-Ms";
    public static final String KILN_INIT_MS = "X-Kiln-Init-Ms";

    private static String openPhases(SlotManager.Result r) {
        StringBuilder out = new StringBuilder();
        r.phases().forEach((k, v) -> out.append(out.isEmpty() ? "" : ";").append(k).append('=').append(v));
        return out.toString();
    }

    /** The cold start's phases, {@code vmmStart=120;kernelBoot=2300;...;runtimeInit=800;handler=3} in ms. */
    static String phases(SlotManager.Result r) {
        StringBuilder out = new StringBuilder();
        r.phases().forEach((k, v) -> out.append(k).append('=').append(v).append(';'));
        r.reply().initMs().ifPresent(ms -> out.append("runtimeInit=").append(Math.round(ms)).append(';'));
        out.append("handler=").append(Math.round(r.reply().durationMs()));
        return out.toString();
    }

    private static String report(FunctionReply reply, FunctionRecord record, SlotManager.Result r) {
        String id = reply.requestId();
        StringBuilder out = new StringBuilder("START RequestId: " + id + " Version: $LATEST\n");
        out.append("END RequestId: ").append(id).append('\n');
        out.append(String.format("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB",
                id, reply.durationMs(), (long) Math.ceil(reply.durationMs()), record.memoryMb()));
        reply.initMs().ifPresent(ms -> out.append(String.format("\tInit Duration: %.2f ms", ms)));
        if (r.cold()) {
            out.append("\tkiln cold start: ").append(phases(r));
        }
        return out.append('\n').toString();
    }

    private byte[] codeOf(FunctionRecord r) {
        if (!r.packageType().equals("Zip")) {
            throw new LambdaException(404, "ResourceNotFoundException", r.name() + " is an image function: no zip");
        }
        return functions.code(r.name());
    }

    private ObjectNode getFunction(FunctionRecord r) {
        ObjectNode out = JSON.createObjectNode();
        out.set("Configuration", configuration(r));
        ObjectNode code = out.putObject("Code");
        if (r.packageType().equals("Image")) {
            code.put("RepositoryType", "ECR").put("ImageUri", r.imageUri().orElse(""));
        } else {
            code.put("RepositoryType", "S3").put("Location", base + "/2015-03-31/functions/" + r.name() + "/code");
        }
        r.reservedConcurrency().ifPresent(n -> out.putObject("Concurrency").put("ReservedConcurrentExecutions", n));
        return out;
    }

    private ObjectNode configuration(FunctionRecord r) {
        ObjectNode c = JSON.createObjectNode();
        c.put("FunctionName", r.name());
        c.put("FunctionArn", functions.arn(r.name()));
        r.runtime().ifPresent(rt -> c.put("Runtime", rt));
        c.put("Role", r.role());
        if (!r.handler().isEmpty()) {
            c.put("Handler", r.handler());
        }
        c.put("CodeSize", r.codeSize());
        c.put("Description", r.description());
        c.put("Timeout", r.timeoutSeconds());
        c.put("MemorySize", r.memoryMb());
        c.put("LastModified", LAST_MODIFIED.format(r.lastModified()));
        c.put("CodeSha256", r.codeSha256());
        c.put("Version", "$LATEST");
        if (!r.environment().isEmpty()) {
            ObjectNode vars = c.putObject("Environment").putObject("Variables");
            r.environment().forEach(vars::put);
        }
        c.put("RevisionId", r.revisionId());
        c.put("PackageType", r.packageType());
        c.putArray("Architectures").add("x86_64");
        c.put("State", "Active");
        c.put("LastUpdateStatus", "Successful");
        c.putObject("EphemeralStorage").put("Size", 512);
        FunctionService.SlotStates states = functions.slotStates(r);
        c.putObject("KilnSlots").put("booting", states.booting()).put("initializing", states.initializing())
                .put("idle", states.idle()).put("busy", states.busy()).put("draining", states.draining());
        c.put("KilnSnapshot", functions.snapshotState(r));
        return c;
    }

    private static JsonNode body(Body reader) {
        return parseBody(reader.read(MAX_BODY));
    }

    /** A request body as a JSON object (empty is {@code {}}), or an InvalidParameterValueException. */
    static JsonNode parseBody(byte[] bytes) {
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw invalid("the request body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw invalid("the request body is not valid JSON: " + (e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    private static byte[] read(Request request, long limit) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(limit);
            }
            return bytes;
        } catch (IOException e) {
            throw invalid("cannot read the request body: " + e.getMessage());
        }
    }

    private static LambdaException tooLarge(long limit) {
        return limit <= FunctionService.MAX_PAYLOAD + 1L
                ? new LambdaException(413, "RequestTooLargeException", "Request must be smaller than "
                        + FunctionService.MAX_PAYLOAD + " bytes for the InvokeFunction operation")
                : new LambdaException(413, "RequestTooLargeException", "Request must be smaller than " + limit
                        + " bytes: a function's zip may be 50 MB (base64 in JSON); send larger code as an image");
    }

    private static void known(JsonNode body, Set<String> fields) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f) && !IGNORED.contains(f)) {
                throw invalid("unknown field " + f + "; kiln knows " + String.join(", ", fields.stream().sorted()
                        .toList()));
            }
        }
    }

    private static void noS3(JsonNode code) {
        if (code.has("S3Bucket") || code.has("S3Key")) {
            throw invalid("kiln has no S3: send the zip itself as ZipFile (the AWS CLI: --zip-file fileb://code.zip)");
        }
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw invalid(field + " must be a string");
        }
        return Optional.of(v.asText());
    }

    private static Optional<Integer> integer(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isInt()) {
            throw invalid(field + " must be a whole number");
        }
        return Optional.of(v.asInt());
    }

    private static Optional<byte[]> zip(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getDecoder().decode(v.asText()));
        } catch (IllegalArgumentException e) {
            throw invalid("ZipFile is not base64: " + e.getMessage());
        }
    }

    private static Answer error(LambdaException e) {
        ObjectNode body = JSON.createObjectNode().put("Type", e.status() >= 500 ? "Service" : "User")
                .put("message", e.getMessage());
        e.reason().ifPresent(r -> body.put("Reason", r));
        Answer json = Answer.json(e.status(), body);
        Map<String, String> headers = new LinkedHashMap<>(json.headers());
        headers.put("X-Amzn-ErrorType", e.type());
        return new Answer(e.status(), json.body(), headers);
    }

    private static LambdaException invalid(String message) {
        return new LambdaException(400, "InvalidParameterValueException", message);
    }

    private static LambdaException notFound(String method, String path) {
        return new LambdaException(404, "ResourceNotFoundException", "no such Lambda API call: " + method + " " + path
                + " (kiln serves functions, configuration, code, invocations and concurrency)");
    }
}
