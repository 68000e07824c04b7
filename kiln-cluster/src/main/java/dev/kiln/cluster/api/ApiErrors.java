package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.ManifestException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The one place that maps errors to HTTP statuses and {@code Status} bodies (on the server) and back to
 * {@link ClusterException}s (in the client). A body looks like
 * {@code {"kind":"Status","apiVersion":"v1","status":"Failure","code":422,"reason":"INVALID","message":"...",
 * "hint":"...","path":"spec.replicas"}}; {@code reason} is always a {@link ClusterError} name.
 */
final class ApiErrors {
    private ApiErrors() {
    }

    /** An error as the server answers it. */
    record Status(int code, ClusterError reason, String message, Optional<String> hint, Optional<String> path,
                  List<String> allow) {
        byte[] body() {
            ObjectNode n = ApiJson.TREE.createObjectNode();
            n.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure").put("code", code)
                    .put("reason", reason.name()).put("message", message);
            hint.ifPresent(h -> n.put("hint", h));
            path.ifPresent(p -> n.put("path", p));
            return ApiJson.bytes(n);
        }
    }

    /** The HTTP status of a cluster error code. */
    static int status(ClusterError code) {
        return switch (code) {
            case INVALID -> 422;
            case UNKNOWN_KIND, UNKNOWN_FIELD -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT, ALREADY_EXISTS, SUBNET_CONFLICT -> 409;
            case UNAVAILABLE -> 503;
            case UNAUTHENTICATED -> 401;
            case INTERNAL -> 500;
        };
    }

    /** The answer to a failed call: request problems keep their own status, other errors get their code's. */
    static Status of(RuntimeException failure) {
        return switch (failure) {
            case ApiProblem p -> new Status(p.status(), p.code(), p.getMessage(), p.hint(), p.path(), p.allow());
            case ManifestException m -> new Status(status(m.code()), m.code(), m.getMessage(), m.hint(), m.path(),
                    List.of());
            case ClusterException c -> new Status(status(c.code()), c.code(), c.getMessage(), c.hint(),
                    Optional.empty(), List.of());
            default -> new Status(500, ClusterError.INTERNAL, "internal error: " + failure,
                    Optional.of("this is a bug in kiln; the API server's log has the stack trace"), Optional.empty(),
                    List.of());
        };
    }

    /**
     * The exception the server reported with {@code status} and {@code body}. A body that is not a Status (a proxy's
     * page, say) still gives an exception, with a code guessed from the status.
     */
    static ClusterException fromResponse(int status, byte[] body, String what) {
        JsonNode n;
        try {
            n = ApiJson.TREE.readTree(body);
        } catch (java.io.IOException e) {
            n = null;
        }
        if (n == null || !n.isObject() || !"Status".equals(n.path("kind").asText())) {
            String text = new String(body, StandardCharsets.UTF_8).strip();
            int nl = text.indexOf('\n');
            String first = nl < 0 ? text : text.substring(0, nl);
            return new ClusterException(codeFor(status), what + " failed with HTTP " + status
                    + (first.isEmpty() ? "" : ": " + first));
        }
        ClusterError code = reason(n.path("reason").asText()).orElse(codeFor(status));
        String message = n.path("message").asText(what + " failed with HTTP " + status);
        String hint = n.path("hint").asText("");
        String path = n.path("path").asText("");
        return path.isEmpty() ? new ClusterException(code, message, hint)
                : new ManifestException(code, message, path, hint, null);
    }

    private static Optional<ClusterError> reason(String name) {
        return Arrays.stream(ClusterError.values()).filter(c -> c.name().equals(name)).findFirst();
    }

    /** The code of a status that came without a readable reason. */
    static ClusterError codeFor(int status) {
        return switch (status) {
            case 400, 405, 413, 415, 422 -> ClusterError.INVALID;
            case 401 -> ClusterError.UNAUTHENTICATED;
            case 404 -> ClusterError.NOT_FOUND;
            case 409 -> ClusterError.CONFLICT;
            case 501, 502, 503, 504 -> ClusterError.UNAVAILABLE;
            default -> ClusterError.INTERNAL;
        };
    }
}
