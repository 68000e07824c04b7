package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.guest.GuestException;
import dev.kiln.guest.GuestImageListing;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves this host's cached guest images to the other hosts of the cluster, on the cluster API's port behind its
 * bearer token ({@link #PREFIX}):
 * <ul>
 *   <li>{@code GET /v1/guest-images/<digest>}: the image's {@link GuestImageListing} (files, sizes, sha256s);</li>
 *   <li>{@code GET /v1/guest-images/<digest>/<file>}: one of its files, for {@link GuestImageListing#FILES} only.</li>
 * </ul>
 * An image's directory never changes once it is in the cache, so each listing is hashed once and kept.
 */
final class GuestImageHandler extends Handler.Abstract {
    static final String PREFIX = "/v1/guest-images/";

    private final Path cacheDir;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, GuestImageListing> listings = new ConcurrentHashMap<>();

    /** @param cacheDir the image cache ({@code --image-cache}), whose {@code guest/} holds the images */
    GuestImageHandler(Path cacheDir) {
        this.cacheDir = cacheDir.toAbsolutePath();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (!path.startsWith(PREFIX)) {
            return false;
        }
        if (!"GET".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET");
            error(response, callback, 405, "METHOD_NOT_ALLOWED", request.getMethod() + " " + path
                    + ": guest images are only read (GET)");
            return true;
        }
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        String digest = parts[0];
        if (!GuestImageListing.isDigest(digest) || parts.length > 2) {
            error(response, callback, 404, "NOT_FOUND", path + ": ask for /v1/guest-images/<digest>[/<file>] with a "
                    + "digest of 64 lowercase hex characters");
            return true;
        }
        Path dir = cacheDir.resolve("guest").resolve(digest);
        if (!Files.isRegularFile(dir.resolve("image.json"))) {
            error(response, callback, 404, "NOT_FOUND", "this host has no guest image " + digest);
            return true;
        }
        if (parts.length == 1) {
            GuestImageListing listing;
            try {
                listing = listings.computeIfAbsent(digest, d -> GuestImageListing.read(cacheDir, d));
            } catch (GuestException e) {
                error(response, callback, 404, "NOT_FOUND", e.getMessage());
                return true;
            }
            byte[] body = json.writeValueAsBytes(listing);
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, java.nio.ByteBuffer.wrap(body), callback);
            return true;
        }
        String name = parts[1];
        if (!GuestImageListing.FILES.contains(name)) {
            error(response, callback, 404, "NOT_FOUND", "a guest image has no file '" + name + "'; its files are "
                    + GuestImageListing.FILES);
            return true;
        }
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            error(response, callback, 404, "NOT_FOUND", "guest image " + digest + " has no " + name + " here");
            return true;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Files.size(file));
        Content.copy(Content.Source.from(file), response, callback);
        return true;
    }

    private void error(Response response, Callback callback, int status, String reason, String message)
            throws java.io.IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", "Status");
        body.put("code", status);
        body.put("reason", reason);
        body.put("message", message);
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        Content.Sink.write(response, true, new String(bytes, StandardCharsets.UTF_8), callback);
    }
}
