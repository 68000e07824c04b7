package dev.kiln.image;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull side of the OCI distribution API over an {@link ImageReader}: {@code GET /v2/},
 * {@code GET|HEAD /v2/<name>/manifests/<tag|digest>}, {@code GET|HEAD /v2/<name>/blobs/<digest>},
 * {@code GET /v2/<name>/tags/list}. Every other method is {@code 405 UNSUPPORTED}. A blob is served only under
 * a repository one of whose images refers to it. Errors are the spec's JSON: {@code {"errors":[{code,message}]}}.
 */
final class RegistryHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHandler.class);
    private static final String DIGEST_HEADER = "Docker-Content-Digest";

    private final ImageReader images;

    RegistryHandler(ImageReader images) {
        this.images = images;
    }

    /** An answer, before it is written: a status and JSON, or a stored blob. */
    private sealed interface Reply {
        record Error(int status, String code, String message) implements Reply {
        }

        record Json(String body) implements Reply {
        }

        record Blob(StoredBlob blob) implements Reply {
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = Request.getPathInContext(request);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        Reply reply;
        try {
            reply = route(method, path);
        } catch (ImageException e) {
            LOG.warn("registry: {} {} failed: {}", method, path, e.getMessage());
            reply = new Reply.Error(500, "UNKNOWN", e.getMessage());
        }
        write(reply, method.equals("HEAD"), response, callback);
        return true;
    }

    private Reply route(String method, String path) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return new Reply.Error(405, "UNSUPPORTED", "this registry is read-only; " + method + " is not supported");
        }
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new Reply.Json("{}");
        }
        if (!path.startsWith("/v2/")) {
            return new Reply.Error(404, "UNSUPPORTED", "no such endpoint: " + path);
        }
        String rest = path.substring("/v2/".length());
        int manifests = rest.lastIndexOf("/manifests/");
        int blobs = rest.lastIndexOf("/blobs/");
        if (rest.endsWith("/tags/list")) {
            return tags(rest.substring(0, rest.length() - "/tags/list".length()));
        }
        if (manifests > 0 && manifests > blobs) {
            return manifest(rest.substring(0, manifests), rest.substring(manifests + "/manifests/".length()));
        }
        if (blobs > 0) {
            return blob(rest.substring(0, blobs), rest.substring(blobs + "/blobs/".length()));
        }
        return new Reply.Error(404, "UNSUPPORTED", "no such endpoint: " + path);
    }

    private Reply tags(String name) {
        List<String> tags = images.tags(name);
        if (tags.isEmpty()) {
            return nameUnknown(name);
        }
        return new Reply.Json(new String(Json.bytes(Map.of("name", name, "tags", tags)), StandardCharsets.UTF_8));
    }

    private Reply manifest(String name, String reference) {
        if (images.tags(name).isEmpty()) {
            return nameUnknown(name);
        }
        return images.manifest(name, reference).filter(b -> Files.isRegularFile(b.file()))
                .<Reply>map(Reply.Blob::new)
                .orElseGet(() -> new Reply.Error(404, "MANIFEST_UNKNOWN", "manifest unknown: " + name + " " + reference));
    }

    private Reply blob(String name, String digest) {
        if (!Digest.isDigest(digest)) {
            return new Reply.Error(400, "DIGEST_INVALID", "not a sha256 digest: " + digest);
        }
        if (images.tags(name).isEmpty()) {
            return nameUnknown(name);
        }
        Optional<StoredBlob> blob = images.blob(name, Digest.parse(digest)).filter(b -> Files.isRegularFile(b.file()));
        return blob.<Reply>map(Reply.Blob::new)
                .orElseGet(() -> new Reply.Error(404, "BLOB_UNKNOWN", "blob unknown to " + name + ": " + digest));
    }

    private static Reply nameUnknown(String name) {
        return new Reply.Error(404, "NAME_UNKNOWN", "repository name not known to this registry: " + name);
    }

    private static void write(Reply reply, boolean head, Response response, Callback callback) {
        switch (reply) {
            case Reply.Error e -> {
                String body = new String(Json.bytes(Map.of("errors", List.of(Map.of("code", e.code(), "message", e.message())))),
                        StandardCharsets.UTF_8);
                text(response, callback, e.status(), body, head);
            }
            case Reply.Json j -> text(response, callback, 200, j.body(), head);
            case Reply.Blob b -> {
                StoredBlob blob = b.blob();
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, blob.mediaType());
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, blob.size());
                response.getHeaders().put(DIGEST_HEADER, blob.digest().toString());
                response.getHeaders().put(HttpHeader.ETAG, "\"" + blob.digest() + "\"");
                if (head) {
                    callback.succeeded();
                } else {
                    Content.copy(Content.Source.from(blob.file()), response, callback);
                }
            }
        }
    }

    private static void text(Response response, Callback callback, int status, String body, boolean head) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        if (head) {
            callback.succeeded();
        } else {
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }
}
