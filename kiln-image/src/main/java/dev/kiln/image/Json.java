package dev.kiln.image;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the image documents strictly: a size cap before parsing, duplicate keys and trailing content are
 * errors (two parsers must never disagree on what a manifest says), and a shallow nesting limit.
 */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private Json() {
    }

    /** Reads a file of at most {@code cap} bytes; {@code what} names it in errors ("manifest sha256:..."). */
    static byte[] readCapped(Path file, long cap, String what) {
        try {
            long size = Files.size(file);
            if (size > cap) {
                throw new ImageException(ImageError.TOO_LARGE, what + " is " + size + " bytes, over the limit of " + cap);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot read " + what + ": " + e.getMessage(), e);
        }
    }

    static <T> T parse(byte[] bytes, Class<T> type, String what) {
        try {
            T value = MAPPER.readValue(bytes, type);
            if (value == null) {
                throw new ImageException(ImageError.MALFORMED_JSON, what + " is JSON null, not an object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ImageException(ImageError.MALFORMED_JSON, what + " is malformed: " + e.getOriginalMessage()
                    + location(e), e);
        } catch (IOException e) {
            throw new ImageException(ImageError.MALFORMED_JSON, what + " cannot be parsed: " + e.getMessage(), e);
        }
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot encode " + value.getClass().getSimpleName()
                    + ": " + e.getOriginalMessage(), "this is a bug", e);
        }
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
    }
}
