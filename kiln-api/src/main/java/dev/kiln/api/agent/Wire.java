package dev.kiln.api.agent;

import dev.kiln.api.ApiException;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Defaults for wire records: a JSON document may leave a field out, and Jackson then passes {@code null} to the
 * canonical constructor. The records turn that into the empty value here, so no accessor ever returns null.
 */
final class Wire {
    private Wire() {
    }

    static <T> Optional<T> opt(Optional<T> value) {
        return value == null ? Optional.empty() : value;
    }

    static <T> List<T> list(List<T> value) {
        return value == null ? List.of() : List.copyOf(value);
    }

    static Map<String, String> map(Map<String, String> value) {
        return value == null ? Map.of() : Map.copyOf(value);
    }

    static String text(String value, String field) {
        if (value == null) {
            throw new ApiException(field + " is required", "add the field '" + field + "' to the JSON body");
        }
        return value;
    }

    static <T> T required(T value, String field) {
        if (value == null) {
            throw new ApiException(field + " is required", "add the field '" + field + "' to the JSON body");
        }
        return value;
    }
}
