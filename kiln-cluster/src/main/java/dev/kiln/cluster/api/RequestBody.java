package dev.kiln.cluster.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.model.ManifestException;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reads request bodies: one resource as JSON or YAML (by Content-Type; none means YAML, which JSON also is), or a
 * scale request. A body larger than the limit is 413; one that is not a well-formed resource is 400 with what the
 * parser says (line and column for malformed text, the path for an unknown field).
 */
final class RequestBody {
    private static final Set<String> YAML = Set.of("", "application/yaml", "application/x-yaml", "text/yaml",
            "text/x-yaml");

    private RequestBody() {
    }

    /** One resource from the body. */
    static Resource resource(Request request, long limit) {
        String type = mediaType(request);
        if (!type.equals("application/json") && !YAML.contains(type)) {
            throw ApiProblem.unsupportedMediaType(type);
        }
        byte[] body = bytes(request, limit);
        if (body.length == 0) {
            throw ApiProblem.badRequest("the request has no body", "send one resource as JSON or YAML");
        }
        try {
            if (type.equals("application/json")) {
                return Manifests.readJson(body);
            }
            List<Resource> all = Manifests.read(new String(body, StandardCharsets.UTF_8), "request body");
            if (all.size() != 1) {
                throw ApiProblem.badRequest("the request body has " + all.size() + " resources; send exactly one",
                        "send each document of a multi-document file in its own request (kiln apply -f does)");
            }
            return all.getFirst();
        } catch (ManifestException e) {
            throw ApiProblem.badDocument(e);
        }
    }

    /**
     * The replica count of a scale body, {@code {"replicas":N}}.
     *
     * @throws ManifestException INVALID (422) with path {@code spec.replicas} for a negative count
     */
    static int replicas(Request request, long limit) {
        byte[] body = bytes(request, limit);
        JsonNode n;
        try {
            n = ApiJson.TREE.readTree(body);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw ApiProblem.badRequest("malformed JSON" + at + ": " + e.getOriginalMessage(),
                    "send {\"replicas\": N}");
        } catch (IOException e) {
            throw ApiProblem.badRequest("cannot read the request body: " + e.getMessage(), "retry");
        }
        if (n == null || !n.isObject()) {
            throw ApiProblem.badRequest("a scale request is a JSON object such as {\"replicas\": 3}",
                    "send {\"replicas\": N}");
        }
        for (var it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("replicas")) {
                throw ApiProblem.badField(ClusterError.UNKNOWN_FIELD, field, "unknown field; known fields here:"
                        + " replicas", "send {\"replicas\": N}");
            }
        }
        JsonNode replicas = n.path("replicas");
        if (!replicas.isIntegralNumber() || !replicas.canConvertToInt()) {
            throw ApiProblem.badField(ClusterError.INVALID, "replicas", replicas.isMissingNode() ? "is required"
                    : "expected a whole number, got " + replicas, "send {\"replicas\": N}");
        }
        int count = replicas.intValue();
        if (count < 0) {
            throw new ManifestException(ClusterError.INVALID, "spec.replicas: must be >= 0, got " + count,
                    "spec.replicas", "scale to 0 or more replicas", null);
        }
        return count;
    }

    /** The body's bytes, at most {@code limit} of them. */
    static byte[] bytes(Request request, long limit) {
        if (request.getLength() > limit) {
            throw ApiProblem.tooLarge(limit);
        }
        try {
            InputStream in = Content.Source.asInputStream(request);
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                throw ApiProblem.tooLarge(limit);
            }
            return body;
        } catch (IOException e) {
            throw ApiProblem.badRequest("cannot read the request body: " + e.getMessage(), "retry");
        }
    }

    private static String mediaType(Request request) {
        String header = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (header == null) {
            return "";
        }
        int semi = header.indexOf(';');
        return (semi < 0 ? header : header.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }
}
