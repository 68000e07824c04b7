package dev.kiln.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a host serves its guests on the bridge address beside the image registry (the same port; guests reach the
 * host nowhere else):
 * <ul>
 *   <li>the <b>function input store</b>, {@code /store/<bucket>/<key>}: GET, HEAD, PUT and DELETE of whole objects in
 *       S3's path style, kept as files under {@code <state>/objects/<bucket>/<key>}. Functions find it in their
 *       environment as {@code KILN_STORE_URL}. FunctionBench's inputs and outputs live there.</li>
 *   <li>Lambda's <b>Invoke</b>, {@code POST /2015-03-31/functions/<name>/invocations}, for a function that calls
 *       another ({@code KILN_LAMBDA_URL}): handed to this host's Lambda API while it serves functions, so it is
 *       routed to the function's home host like any invocation. No other Lambda call is served here.</li>
 * </ul>
 * Both serve only this host itself and its <b>function slots</b> (VMs named {@value VmSlotBackend#PREFIX}*): a
 * request is told apart by its source address, which a guest cannot forge while guest isolation is on (the bridge
 * drops frames from any address but the guest's own). Any other guest (a pod's node, a plain VM, a pod's own address)
 * gets 403 and nothing is read, written or invoked. Callers carry no credentials of their own, so a slot may reach
 * any object and any function of the cluster. Keys and buckets are checked so that no request reaches outside the
 * store.
 */
public final class GuestGateway extends Handler.Wrapper {
    private static final Logger LOG = LoggerFactory.getLogger(GuestGateway.class);
    /** Where the store is served. */
    public static final String STORE_PREFIX = "/store/";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern INVOKE = Pattern.compile("/2015-03-31/functions/[^/]+/invocations");
    /** The largest object a PUT may store. */
    static final long MAX_OBJECT = 2L << 30;
    private static final int MAX_KEY = 1024;

    private final Path root;
    private final Function<String, Optional<String>> vmAt;
    private final Predicate<String> isHost;
    private volatile Optional<Handler> lambda = Optional.empty();

    /**
     * @param root     the store's directory (created when missing)
     * @param registry what serves every other path (the image registry)
     * @param vmAt     the name of this host's VM with a given address, if any
     * @param isHost   whether an address is this host's own (then the caller is the host, e.g. the bench's upload)
     */
    public GuestGateway(Path root, Handler registry, Function<String, Optional<String>> vmAt,
                        Predicate<String> isHost) {
        super(registry);
        this.root = root;
        this.vmAt = vmAt;
        this.isHost = isHost;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot create the function input store " + root + ": "
                    + e.getMessage(), "check that the state directory is writable", e);
        }
    }

    /** The Lambda API that guests' Invoke calls are handed to, while this host serves functions. */
    public void lambda(Optional<Handler> api) {
        this.lambda = api;
    }

    public Path root() {
        return root;
    }

    /** Whether {@code address} is a local address of this machine (loopback or any interface's). */
    public static boolean isLocalAddress(String address) {
        try {
            InetAddress a = InetAddress.ofLiteral(address);
            return a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (IllegalArgumentException | java.net.SocketException e) {
            return false;
        }
    }

    /** Why the caller at {@code address} may not use the store or Invoke; empty when it may. */
    private Optional<String> refusal(String address) {
        if (isHost.test(address)) {
            return Optional.empty();
        }
        Optional<String> vm = vmAt.apply(address);
        if (vm.isPresent() && vm.get().startsWith(VmSlotBackend.PREFIX)) {
            return Optional.empty();
        }
        return Optional.of("the function input store and Invoke serve this host's function slots only, and "
                + address + " is " + vm.map(n -> "VM " + n + ", not a function slot")
                .orElse("no VM of this host (a pod's address, or another host)"));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        boolean store = path.startsWith(STORE_PREFIX);
        if (store || INVOKE.matcher(path).matches()) {
            Optional<String> refused = refusal(Request.getRemoteAddr(request));
            if (refused.isPresent()) {
                LOG.warn("guest gateway: refused {} {}: {}", request.getMethod(), path, refused.get());
                // the request's body stays unread, so the connection cannot carry another request
                response.getHeaders().put("Connection", "close");
                text(response, callback, 403, refused.get());
                return true;
            }
        }
        if (store) {
            store(request, response, callback, path.substring(STORE_PREFIX.length()));
            return true;
        }
        if (INVOKE.matcher(path).matches()) {
            Optional<Handler> api = lambda;
            if (api.isPresent() && request.getMethod().equals("POST")) {
                return api.get().handle(request, response, callback);
            }
            text(response, callback, api.isPresent() ? 405 : 503, api.isPresent() ? "only POST invokes a function"
                    : "this host serves no functions (it has not joined a cluster)");
            return true;
        }
        return super.handle(request, response, callback);
    }

    private void store(Request request, Response response, Callback callback, String rest) {
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        Optional<String> bad = badBucket(bucket).or(() -> badKey(key));
        if (bad.isPresent()) {
            text(response, callback, 400, bad.get());
            return;
        }
        Path file = root.resolve(bucket).resolve(key);
        try {
            switch (request.getMethod()) {
                case "GET", "HEAD" -> {
                    if (!Files.isRegularFile(file)) {
                        text(response, callback, 404, "no object " + key + " in bucket " + bucket);
                        return;
                    }
                    response.setStatus(200);
                    response.getHeaders().put("Content-Type", "application/octet-stream");
                    response.getHeaders().put("Content-Length", Files.size(file));
                    if (request.getMethod().equals("HEAD")) {
                        callback.succeeded();
                    } else {
                        Content.copy(Content.Source.from(file), response, callback);
                    }
                }
                case "PUT" -> {
                    put(request, file, key);
                    response.setStatus(200);
                    response.getHeaders().put("Content-Length", 0);
                    callback.succeeded();
                }
                case "DELETE" -> {
                    Files.deleteIfExists(file);
                    response.setStatus(204);
                    callback.succeeded();
                }
                default -> text(response, callback, 405, request.getMethod() + " is not a store method "
                        + "(GET, HEAD, PUT, DELETE)");
            }
        } catch (PayloadTooLarge e) {
            text(response, callback, 413, e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warn("input store: {} {}/{} failed: {}", request.getMethod(), bucket, key, e.toString());
            text(response, callback, 500, "the store failed: " + e.getMessage());
        }
    }

    private static final class PayloadTooLarge extends IOException {
        PayloadTooLarge(String message) {
            super(message);
        }
    }

    /** Streams the body into a temporary file beside the object, then moves it into place. */
    private static void put(Request request, Path file, String key) throws IOException {
        Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling("." + file.getFileName() + ".part-" + Thread.currentThread().threadId());
        try {
            try (InputStream in = Content.Source.asInputStream(request);
                 OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    total += n;
                    if (total > MAX_OBJECT) {
                        throw new PayloadTooLarge("the object " + key + " is larger than the store's limit of "
                                + (MAX_OBJECT >> 20) + " MiB");
                    }
                    out.write(buffer, 0, n);
                }
            }
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (NoSuchFileException ignored) {
                // moved
            }
        }
    }

    /** Why a bucket name is refused (S3's rules, lower case), or empty. */
    static Optional<String> badBucket(String bucket) {
        return BUCKET.matcher(bucket).matches() && !bucket.contains("..") ? Optional.empty()
                : Optional.of("bad bucket name '" + bucket + "': 3 to 63 characters of a-z, 0-9, '.' and '-'");
    }

    /** Why a key is refused, or empty: keys are relative paths without '.', '..' or empty segments. */
    static Optional<String> badKey(String key) {
        if (key.isEmpty()) {
            return Optional.of("no key: the path is /store/<bucket>/<key>");
        }
        if (key.length() > MAX_KEY) {
            return Optional.of("the key is longer than " + MAX_KEY + " characters");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.startsWith(".")
                    || segment.chars().anyMatch(c -> c < 0x20 || c == '\\')) {
                return Optional.of("bad key '" + key + "': segments must be non-empty, must not start with '.', "
                        + "and control characters and '\\' are not allowed");
            }
        }
        return Optional.empty();
    }

    private static void text(Response response, Callback callback, int status, String message) {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put("Content-Type", "text/plain; charset=utf-8");
        response.getHeaders().put("Content-Length", body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
