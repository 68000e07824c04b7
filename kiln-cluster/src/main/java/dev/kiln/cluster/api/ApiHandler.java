package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster API's Jetty handler: {@link Routes} reads the call, one exhaustive switch hands it to the code that
 * serves it, and every failure becomes a Status body through {@link ApiErrors}. Runs each request on a virtual
 * thread, so the calls below simply block.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** The most of a refused request's body that is read (and dropped) before answering. */
    static final long DRAIN_LIMIT = 16L << 20;
    /** The request attribute set once the request's bearer token was accepted. */
    static final String AUTHENTICATED = "dev.kiln.cluster.api.authenticated";

    private final ResourceCalls resources;
    private final ServerSideApply apply;
    private final WatchStream watches;
    private final PodLogs podLogs;
    private final long maxBody;
    private final List<ClusterApiServer.Mount> mounts;
    private final java.util.function.Supplier<ApiToken> token;

    ApiHandler(ResourceStore store, Optional<PodLogSource> logs, ApiSettings settings,
               List<ClusterApiServer.Mount> mounts, java.util.function.Supplier<ApiToken> token) {
        this.mounts = List.copyOf(mounts);
        this.token = token;
        this.resources = new ResourceCalls(store);
        this.apply = new ServerSideApply(store);
        this.watches = new WatchStream(store, settings.heartbeat());
        this.podLogs = new PodLogs(store, logs);
        this.maxBody = settings.maxBody();
    }

    WatchStream watches() {
        return watches;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = Request.getPathInContext(request);
        Optional<ClusterApiServer.Mount> mounted = mounts.stream().filter(m -> path.startsWith(m.prefix()))
                .findFirst();
        Optional<String> authorization = Optional.ofNullable(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        boolean bearer = authorization.flatMap(ApiToken::bearer).isPresent();
        if (token.get().authorizes(authorization)) {
            request.setAttribute(AUTHENTICATED, Boolean.TRUE);
        } else if (!open(method, path) && (bearer || mounted.map(m -> m.access() == ClusterApiServer.Access.TOKEN)
                .orElse(true))) {
            drain(request);
            RuntimeException refused = ApiProblem.unauthenticated(authorization, bearer);
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"kiln\"");
            fail(method, path, refused, response, callback);
            return true;
        }
        if (mounted.isPresent()) {
            try {
                return mounted.get().handler().handle(request, response, callback);
            } catch (Exception e) {
                fail(method, path, new IllegalStateException(e.getMessage(), e), response, callback);
                return true;
            }
        }
        try {
            ApiCall call = Routes.parse(method, path, query(request));
            switch (call) {
                case ApiCall.Health _ -> send(resources.health(), response, callback);
                case ApiCall.List list -> send(resources.list(list), response, callback);
                case ApiCall.Watch watch -> watches.serve(watch, response, callback);
                case ApiCall.Get get -> send(resources.get(get.kind(), get.name()), response, callback);
                case ApiCall.Create create -> send(resources.create(create.kind(),
                        RequestBody.resource(request, maxBody)), response, callback);
                case ApiCall.Update update -> send(resources.update(update.kind(), update.name(),
                        RequestBody.resource(request, maxBody)), response, callback);
                case ApiCall.Apply a -> send(apply.apply(a.kind(), a.name(), RequestBody.resource(request, maxBody)),
                        response, callback);
                case ApiCall.Scale scale -> send(resources.scale(scale.kind(), scale.name(),
                        RequestBody.replicas(request, maxBody)), response, callback);
                case ApiCall.Delete delete -> send(resources.delete(delete.kind(), delete.name()), response,
                        callback);
                case ApiCall.PodLog log -> podLogs.serve(log, request, response, callback);
            }
            LOG.debug("{} {} -> {}", method, path, response.getStatus());
        } catch (RuntimeException e) {
            if (!response.isCommitted()) {
                drain(request);
            }
            fail(method, path, e, response, callback);
        }
        return true;
    }

    /** The calls that need no token: the health check, which other hosts ask and which tells nothing else. */
    private static boolean open(String method, String path) {
        return method.equals("GET") && path.equals(Routes.HEALTH);
    }

    /**
     * Reads and drops what is left of a request body (up to {@link #DRAIN_LIMIT}) before an error is answered, so
     * that the client, which may still be sending it, reads the answer instead of a reset connection.
     */
    private static void drain(Request request) {
        try {
            InputStream in = Content.Source.asInputStream(request);
            byte[] buffer = new byte[8192];
            long left = DRAIN_LIMIT;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; ) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot drain the request body: {}", e.toString());
        }
    }

    /** The query parameters, first value of each. */
    private static Map<String, String> query(Request request) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Fields.Field field : Request.extractQueryParameters(request)) {
            out.putIfAbsent(field.getName(), field.getValue());
        }
        return out;
    }

    private static void send(Reply reply, Response response, Callback callback) {
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
    }

    private static void fail(String method, String path, RuntimeException e, Response response, Callback callback) {
        ApiErrors.Status status = ApiErrors.of(e);
        if (status.reason() == ClusterError.INTERNAL) {
            LOG.error("{} {} failed", method, path, e);
        } else if (status.code() >= 500) {
            LOG.warn("{} {} -> {}: {}", method, path, status.code(), e.getMessage());
        } else {
            LOG.debug("{} {} -> {}: {}", method, path, status.code(), e.getMessage());
        }
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        String challenge = response.getHeaders().get(HttpHeader.WWW_AUTHENTICATE);
        response.reset();
        if (challenge != null) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, challenge);
        }
        if (!status.allow().isEmpty()) {
            response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", status.allow()));
        }
        send(Reply.json(status.code(), status.body()), response, callback);
    }
}
