package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.ResourceStore;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's REST API server (docs/CLUSTER-API.md): {@code /apis/kiln.dev/v1/<plural>[/<name>]} over a
 * {@link ResourceStore}, plus {@code /healthz}. HTTP/1.1 on Jetty, one virtual thread per request. The daemon binds
 * it to {@code 127.0.0.1:}{@value #DEFAULT_PORT}. Every request but {@code GET /healthz} must carry the
 * {@link ApiToken} ({@code Authorization: Bearer <token>}; else 401 with {@code WWW-Authenticate: Bearer}); a
 * {@link Mount} with {@link Access#TOKEN_OR_OWN} also gets the requests without one, and authenticates them itself
 * (Lambda's Signature Version 4).
 */
public final class ClusterApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterApiServer.class);
    /** The port {@code kiln up} serves the API on. */
    public static final int DEFAULT_PORT = 7070;
    /** How long {@link #close()} lets open watch streams write their last line. */
    static final Duration WATCH_GRACE = Duration.ofSeconds(1);

    private final Server server;
    private final ApiHandler handler;
    private final String host;
    private final int port;
    private final java.util.function.Supplier<ApiToken> token;

    private ClusterApiServer(Server server, ApiHandler handler, String host, int port,
                             java.util.function.Supplier<ApiToken> token) {
        this.server = server;
        this.handler = handler;
        this.host = host;
        this.port = port;
        this.token = token;
    }

    /**
     * Starts serving {@code store} on {@code host:port}.
     *
     * @param port 0 picks a free port (see {@link #port()})
     * @param logs where pod logs come from; without one {@code .../pods/<name>/log} answers 501
     * @throws ClusterException UNAVAILABLE when the port is taken or the address cannot be bound
     */
    public static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs) {
        ApiToken token = ApiToken.generate();
        return start(store, host, port, logs, List.of(), () -> token, ApiSettings.DEFAULTS);
    }

    /**
     * Starts serving {@code store}, and beside it other APIs on the same port: each {@link Mount} gets the requests
     * whose path starts with its prefix (the Lambda-compatible API is one). The token is a new random one
     * ({@link #token()}).
     */
    public static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs,
                                         List<Mount> mounts) {
        ApiToken token = ApiToken.generate();
        return start(store, host, port, logs, mounts, () -> token, ApiSettings.DEFAULTS);
    }

    /** As {@link #start(ResourceStore, String, int, Optional, List)}, with the token that requests must carry. */
    public static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs,
                                         List<Mount> mounts, ApiToken token) {
        return start(store, host, port, logs, mounts, () -> token, ApiSettings.DEFAULTS);
    }

    /** As above, with the token asked on every request (so that a changed token takes effect at once). */
    public static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs,
                                         List<Mount> mounts, java.util.function.Supplier<ApiToken> token) {
        return start(store, host, port, logs, mounts, token, ApiSettings.DEFAULTS);
    }

    static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs,
                                  ApiSettings settings) {
        ApiToken token = ApiToken.generate();
        return start(store, host, port, logs, List.of(), () -> token, settings);
    }

    /** How a mount's requests are authenticated. */
    public enum Access {
        /** Only with the API's bearer token, checked by the server before the mount sees the request. */
        TOKEN,
        /**
         * With the bearer token (checked by the server), or, for a request that carries no bearer token, by the
         * mount's handler itself, which must refuse what it cannot authenticate. {@link #authenticated} tells the
         * handler which case it has.
         */
        TOKEN_OR_OWN
    }

    /** Another API served on the cluster API's port: the requests whose path starts with {@code prefix}. */
    public record Mount(String prefix, Handler handler, Access access) {
        public Mount {
            Objects.requireNonNull(handler, "handler");
            Objects.requireNonNull(access, "access");
            if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.startsWith(Routes.BASE)
                    || prefix.equals("/")) {
                throw new IllegalArgumentException("a mount's prefix must be a path of its own ending in /: " + prefix);
            }
        }

        /** A mount whose requests need the bearer token. */
        public Mount(String prefix, Handler handler) {
            this(prefix, handler, Access.TOKEN);
        }
    }

    /** Whether the server has already accepted {@code request}'s bearer token (for a {@link Access#TOKEN_OR_OWN} mount). */
    public static boolean authenticated(org.eclipse.jetty.server.Request request) {
        return Boolean.TRUE.equals(request.getAttribute(ApiHandler.AUTHENTICATED));
    }

    static ClusterApiServer start(ResourceStore store, String host, int port, Optional<PodLogSource> logs,
                                  List<Mount> mounts, java.util.function.Supplier<ApiToken> token,
                                  ApiSettings settings) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(host, "host");
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("kiln-cluster-api");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        server.addConnector(connector);
        ApiHandler handler = new ApiHandler(store, logs, settings, mounts, token);
        server.setHandler(handler);
        server.setStopTimeout(0);
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server, e);
            if (causedBy(e, BindException.class)) {
                throw new ClusterException(ClusterError.UNAVAILABLE, host + ":" + port + " is already in use",
                        "stop what listens there, or pass --api-port", e);
            }
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot serve the cluster API on " + host + ":"
                    + port + ": " + e.getMessage(), "check the address, or pass --api-port", e);
        }
        ClusterApiServer started = new ClusterApiServer(server, handler, host, connector.getLocalPort(), token);
        LOG.info("cluster API listening on {}", started.uri());
        return started;
    }

    /** The port it listens on (the real one when started with port 0). */
    public int port() {
        return port;
    }

    /** The bearer token that requests must carry. */
    public ApiToken token() {
        return token.get();
    }

    /** {@code http://host:port}, what {@link ClusterClient#connect} takes. */
    public URI uri() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create("http://" + h + ":" + port);
    }

    /** How many watch streams are open now (each holds one store watch); for tests. */
    int openWatches() {
        return handler.watches().open();
    }

    /**
     * Ends the open watch streams (each gets an ERROR line; they have up to {@link #WATCH_GRACE} to write it) and
     * stops listening.
     */
    @Override
    public void close() {
        handler.watches().stopAll(WATCH_GRACE);
        try {
            server.stop();
        } catch (Exception e) {
            throw new ClusterException(ClusterError.INTERNAL, "cannot stop the cluster API server: " + e.getMessage(),
                    e);
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void stopQuietly(Server server, Exception failure) {
        try {
            server.stop();
        } catch (Exception stop) {
            failure.addSuppressed(stop);
        }
    }
}
