package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.model.Resource;
import java.util.Map;

/** A complete (not streamed) answer: a status, a JSON body and extra headers. */
record Reply(int status, byte[] body, Map<String, String> headers) {
    Reply {
        headers = Map.copyOf(headers);
    }

    static Reply json(int status, byte[] body) {
        return new Reply(status, body, Map.of());
    }

    static Reply json(int status, JsonNode body) {
        return json(status, ApiJson.bytes(body));
    }

    static Reply resource(int status, Resource resource) {
        return json(status, ApiJson.node(resource));
    }
}
