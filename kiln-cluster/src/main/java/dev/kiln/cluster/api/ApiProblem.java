package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.ManifestException;
import java.util.List;
import java.util.Optional;

/**
 * An error about the HTTP request itself (unknown path, wrong method, body too large or unreadable), with the
 * status it must get; {@link ApiErrors} maps every other {@link ClusterException} by its code.
 */
final class ApiProblem extends ClusterException {
    private final int status;
    private final String path;
    private final List<String> allow;

    private ApiProblem(int status, ClusterError code, String message, String hint, String path, List<String> allow,
                       Throwable cause) {
        super(code, message, hint, cause);
        this.status = status;
        this.path = path;
        this.allow = List.copyOf(allow);
    }

    int status() {
        return status;
    }

    /** The path of the bad field, for a document that could not be read. */
    Optional<String> path() {
        return path.isEmpty() ? Optional.empty() : Optional.of(path);
    }

    /** The methods the path supports, for a 405. */
    List<String> allow() {
        return allow;
    }

    static ApiProblem badRequest(String message, String hint) {
        return new ApiProblem(400, ClusterError.INVALID, message, hint, "", List.of(), null);
    }

    /** A body that is not a well-formed resource: malformed text, unknown kind or field, wrong type. */
    static ApiProblem badDocument(ManifestException e) {
        return new ApiProblem(400, e.code(), e.getMessage(), e.hint().orElse(""), e.path().orElse(""), List.of(), e);
    }

    static ApiProblem badField(ClusterError code, String path, String message, String hint) {
        return new ApiProblem(400, code, path + ": " + message, hint, path, List.of(), null);
    }

    static ApiProblem notFound(String message, String hint) {
        return new ApiProblem(404, ClusterError.NOT_FOUND, message, hint, "", List.of(), null);
    }

    static ApiProblem methodNotAllowed(String method, String path, List<String> allow) {
        return new ApiProblem(405, ClusterError.INVALID, method + " is not allowed on " + path + "; allowed: "
                + String.join(", ", allow), "use " + String.join(" or ", allow), "", allow, null);
    }

    static ApiProblem tooLarge(long limit) {
        return new ApiProblem(413, ClusterError.INVALID, "the request body is larger than " + (limit >> 20)
                + " MiB", "send one resource per request", "", List.of(), null);
    }

    static ApiProblem unsupportedMediaType(String type) {
        return new ApiProblem(415, ClusterError.INVALID, "cannot read a body of type '" + type + "'",
                "send application/json or application/yaml", "", List.of(), null);
    }

    /** A request without the API's bearer token, or with a wrong one (401, with {@code WWW-Authenticate: Bearer}). */
    static ApiProblem unauthenticated(java.util.Optional<String> authorization, boolean bearer) {
        return new ApiProblem(401, ClusterError.UNAUTHENTICATED, bearer
                ? "the bearer token in the Authorization header is not this API's token"
                : authorization.isEmpty()
                ? "the request has no Authorization header; kiln's API needs 'Authorization: Bearer <token>'"
                : "the Authorization header is not 'Bearer <token>', which kiln's API needs here",
                "the token is in STATE/api-token of a daemon of this cluster (root only, default "
                        + "/var/lib/kiln/api-token); kiln's commands read it from there, or from $" + ApiToken.ENV,
                "", List.of(), null);
    }

    static ApiProblem notImplemented(String message, String hint) {
        return new ApiProblem(501, ClusterError.UNAVAILABLE, message, hint, "", List.of(), null);
    }
}
