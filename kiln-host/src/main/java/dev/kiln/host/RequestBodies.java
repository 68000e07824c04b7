package dev.kiln.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Decodes the JSON body of a host API request into its record ({@link VmCreateRequest}, {@link ContainerRunRequest},
 * ...). Whatever the text, the result is the record or a {@link HostException} (UNKNOWN_FIELD or BAD_REQUEST) that
 * says what is wrong: the body must be exactly one JSON object (no {@code null}, nothing after it); {@code RequestBodiesFuzzTest} holds it to that.
 */
final class RequestBodies {
    static final long MAX_BODY = 1 << 20;

    private RequestBodies() {
    }

    static <T> T decode(ObjectMapper json, String body, Class<T> type) {
        if (body.length() > MAX_BODY) {
            throw new HostException(HostError.BAD_REQUEST, "request body over " + MAX_BODY + " bytes", "send less");
        }
        T value;
        try {
            value = json.readerFor(type).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(body.isBlank() ? "{}" : body);
        } catch (UnrecognizedPropertyException e) {
            throw new HostException(HostError.UNKNOWN_FIELD, "unknown field '" + e.getPropertyName() + "' in the request",
                    "known fields: " + e.getKnownPropertyIds());
        } catch (JsonProcessingException e) {
            throw new HostException(HostError.BAD_REQUEST, "malformed JSON: " + e.getOriginalMessage(), "send a JSON object as in docs/API.md");
        }
        if (value == null) {
            // the body was the JSON literal null (found by RequestBodiesFuzzTest: it reached the services as null)
            throw new HostException(HostError.BAD_REQUEST, "the request body is null, not a JSON object",
                    "send a JSON object as in docs/API.md, or no body for the defaults");
        }
        return value;
    }
}
