package dev.kiln.cluster.model;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The normalisations every record's constructor applies, so that absent fields read as empty and no field is null. */
final class Defaults {
    private Defaults() {
    }

    static String apiVersion(String given) {
        if (given == null) {
            return Resource.API_VERSION;
        }
        if (!given.equals(Resource.API_VERSION)) {
            throw new ClusterException(ClusterError.INVALID, "unsupported apiVersion '" + given + "'; expected '"
                    + Resource.API_VERSION + "'", "set apiVersion: " + Resource.API_VERSION);
        }
        return given;
    }

    static Kind kind(Kind given, Kind expected) {
        if (given != null && given != expected) {
            throw new ClusterException(ClusterError.INVALID, "kind " + given.manifestName() + " given to a "
                    + expected.manifestName() + " record", "this is a bug in kiln");
        }
        return expected;
    }

    /** An unmodifiable copy sorted by key (so output is stable); an absent value becomes "". */
    static Map<String, String> map(Map<String, String> given) {
        if (given == null || given.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, String> copy = new TreeMap<>();
        given.forEach((k, v) -> copy.put(k == null ? "" : k, v == null ? "" : v));
        return Collections.unmodifiableMap(copy);
    }

    static <T> List<T> list(List<T> given, String what) {
        if (given == null || given.isEmpty()) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(given.size());
        for (T item : given) {
            if (item == null) {
                throw new ClusterException(ClusterError.INVALID, what + ": a list entry is empty");
            }
            copy.add(item);
        }
        return List.copyOf(copy);
    }

    static String string(String given) {
        return given == null ? "" : given;
    }

    /** A string field with a default: absent or empty means the default (so that empty never round-trips wrong). */
    static String orIfEmpty(String given, String otherwise) {
        return given == null || given.isEmpty() ? otherwise : given;
    }

    static <T> T or(T given, T otherwise) {
        return given == null ? otherwise : given;
    }

    static <T> T required(T given, String field) {
        if (given == null) {
            throw new ClusterException(ClusterError.INVALID, field + " is required");
        }
        return given;
    }

    static <T> Optional<T> optional(Optional<T> given) {
        return given == null ? Optional.empty() : given;
    }

    static Instant instant(Instant given) {
        return given == null ? Instant.EPOCH : given;
    }
}
