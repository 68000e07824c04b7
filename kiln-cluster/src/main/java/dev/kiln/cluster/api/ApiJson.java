package dev.kiln.cluster.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Resource;
import java.io.IOException;
import java.util.List;

/**
 * The JSON around resources: lists, watch event lines, minimal objects. A resource itself is always written and read
 * by {@link Manifests}, so the API speaks exactly the manifests' shapes; this class only builds the envelopes.
 */
final class ApiJson {
    /** A plain tree mapper for envelopes; duplicate keys are errors, as in manifests. */
    static final ObjectMapper TREE = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ApiJson() {
    }

    static ObjectNode node(Resource resource) {
        try {
            return (ObjectNode) TREE.readTree(Manifests.toJson(resource));
        } catch (IOException e) {
            throw new ClusterException(ClusterError.INTERNAL, "cannot re-read a resource as JSON: " + e.getMessage(),
                    "this is a bug in kiln", e);
        }
    }

    /** A resource from the tree of its JSON, read as strictly as any manifest. */
    static Resource resource(JsonNode node) {
        return Manifests.readJson(bytes(node));
    }

    static byte[] bytes(JsonNode node) {
        try {
            return TREE.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new ClusterException(ClusterError.INTERNAL, "cannot write JSON: " + e.getOriginalMessage(),
                    "this is a bug in kiln", e);
        }
    }

    /** {@code {"apiVersion":"kiln.dev/v1","kind":"<Kind>List","metadata":{"resourceVersion":"N"},"items":[...]}}. */
    static byte[] list(Kind kind, List<? extends Resource> items, long revision) {
        ObjectNode n = TREE.createObjectNode();
        n.put("apiVersion", Resource.API_VERSION).put("kind", kind.manifestName() + "List");
        n.putObject("metadata").put("resourceVersion", Long.toString(revision));
        ArrayNode array = n.putArray("items");
        items.forEach(r -> array.add(node(r)));
        return bytes(n);
    }

    /** One line of a watch stream: {@code {"type":"ADDED","object":{...}}} and a newline. */
    static byte[] eventLine(String type, ObjectNode object) {
        ObjectNode n = TREE.createObjectNode();
        n.put("type", type);
        n.set("object", object);
        byte[] json = bytes(n);
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        return line;
    }

    /** What a DELETED event carries for an object the stream never saw: its kind, name and the deletion revision. */
    static ObjectNode minimal(Kind kind, String name, long revision) {
        ObjectNode n = TREE.createObjectNode();
        n.put("apiVersion", Resource.API_VERSION).put("kind", kind.manifestName());
        n.putObject("metadata").put("name", name).put("resourceVersion", Long.toString(revision));
        return n;
    }

    /** The {@code {"message":...}} object of an ERROR event. */
    static ObjectNode message(String message) {
        return TREE.createObjectNode().put("message", message);
    }
}
