package dev.kiln.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.kiln.api.ApiException;
import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.util.stream.Collectors;

/** The agent's one JSON configuration: unknown fields are errors, omitted fields take their empty value, times are ISO-8601 text. */
final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES) // an omitted boolean or number is false or 0
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .build();

    private Json() {
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new AgentException(AgentErrorCode.INTERNAL, "cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a request body as {@code type}; every problem becomes a 400 that names the field. */
    static <T> T readRequest(byte[] body, Class<T> type) {
        try {
            return MAPPER.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw new AgentException(AgentErrorCode.UNKNOWN_FIELD, "unknown field '" + e.getPropertyName()
                    + "' in " + type.getSimpleName() + " (known: " + e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")");
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ApiException api) {
                throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid " + type.getSimpleName() + ": "
                        + api.getMessage(), api.hint());
            }
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid " + type.getSimpleName() + ": "
                    + (cause == null ? e.getOriginalMessage() : cause.getMessage()));
        } catch (InvalidFormatException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid value " + e.getValue() + " for '"
                    + path(e) + "' in " + type.getSimpleName() + ": expected " + e.getTargetType().getSimpleName());
        } catch (MismatchedInputException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid " + type.getSimpleName() + " at '"
                    + path(e) + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "cannot read the body: " + e.getMessage(), e);
        }
    }

    private static String path(MismatchedInputException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
