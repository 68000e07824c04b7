package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Turns Jackson's exceptions into {@link ManifestException}s that name the document, the path and what is known. */
final class ManifestErrors {
    private static final Pattern DUPLICATE = Pattern.compile("^Duplicate field '([^']*)'");
    private ManifestErrors() {
    }

    /** Malformed text: where (line and column, 1-based) and what the parser expected. */
    static ManifestException malformed(String source, String format, JsonProcessingException e) {
        String where = source.isEmpty() ? "" : source + ": ";
        String problem = firstLine(e.getOriginalMessage());
        int line = -1;
        int column = -1;
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
            problem = y.getProblem();
            line = y.getProblemMark().getLine() + 1;
            column = y.getProblemMark().getColumn() + 1;
        } else if (e.getLocation() != null && e.getLocation() != JsonLocation.NA) {
            line = e.getLocation().getLineNr();
            column = e.getLocation().getColumnNr();
        }
        String at = line > 0 ? " at line " + line + ", column " + column : "";
        Matcher duplicate = DUPLICATE.matcher(problem);
        if (duplicate.find()) {
            return new ManifestException(ClusterError.INVALID, where + "malformed " + format + at + ": duplicate key '"
                    + duplicate.group(1) + "'", "", "keep one of them", e);
        }
        return new ManifestException(ClusterError.INVALID, where + "malformed " + format + at + ": " + problem, "",
                "check the indentation and quoting near that line", e);
    }

    /** A document that parsed but does not bind to its kind's record. */
    static ManifestException binding(String label, JsonProcessingException e, JsonNode document) {
        String path = path(e);
        String at = path.isEmpty() ? "" : path + ": ";
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = known(u);
            String field = u.getPropertyName();
            String hint = closest(field, known).map(c -> "did you mean '" + c + "'?")
                    .orElse("remove the field; see docs/ARCHITECTURE.md for the resource shapes");
            return new ManifestException(ClusterError.UNKNOWN_FIELD, label + ": unknown field '" + path
                    + "'; known fields here: " + String.join(", ", known), path, hint, e);
        }
        Optional<ClusterException> cause = clusterCause(e);
        if (cause.isPresent()) {
            return new ManifestException(ClusterError.INVALID, label + ": " + at + cause.get().getMessage(), path,
                    cause.get().hint().orElse(""), e);
        }
        if (e instanceof InvalidFormatException f) {
            return new ManifestException(ClusterError.INVALID, label + ": " + at + "cannot read '" + f.getValue()
                    + "' as " + describe(f.getTargetType()), path, "", e);
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return new ManifestException(ClusterError.INVALID, label + ": " + at + "expected "
                    + describe(m.getTargetType()) + found(m, document), path, "", e);
        }
        return new ManifestException(ClusterError.INVALID, label + ": " + at + firstLine(e.getOriginalMessage()), path,
                "", e);
    }

    /** ", got 'three'" (or ", got a list") from the value at the exception's path in the document. */
    private static String found(JsonMappingException e, JsonNode document) {
        JsonNode node = document;
        for (JsonMappingException.Reference ref : e.getPath()) {
            node = ref.getFieldName() != null ? node.path(ref.getFieldName()) : node.path(ref.getIndex());
        }
        if (node.isMissingNode()) {
            return "";
        }
        if (node.isObject()) {
            return ", got a mapping";
        }
        if (node.isArray()) {
            return ", got a list";
        }
        return node.isTextual() ? ", got '" + node.asText() + "'" : ", got " + node.asText();
    }

    /** {@code spec.containers[0].image} from Jackson's reference chain. */
    static String path(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m)) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : m.getPath()) {
            if (ref.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    /** Did-you-mean: a known name equal ignoring case or within two edits. */
    static Optional<String> closest(String wrong, Collection<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int d = candidate.equalsIgnoreCase(wrong) ? 0 : distance(wrong.toLowerCase(Locale.ROOT),
                    candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The known fields in declaration order when the target is a record, else as Jackson lists them. */
    private static List<String> known(UnrecognizedPropertyException u) {
        List<String> ids = u.getKnownPropertyIds() == null ? List.of()
                : u.getKnownPropertyIds().stream().map(String::valueOf).toList();
        List<String> ordered = new ArrayList<>();
        Class<?> type = u.getReferringClass();
        if (type != null && type.isRecord()) {
            for (RecordComponent c : type.getRecordComponents()) {
                String name = wireName(type, c);
                if (ids.contains(name)) {
                    ordered.add(name);
                }
            }
        }
        ids.stream().filter(id -> !ordered.contains(id)).forEach(ordered::add);
        return ordered;
    }

    private static String wireName(Class<?> record, RecordComponent c) {
        try {
            JsonProperty p = record.getDeclaredField(c.getName()).getAnnotation(JsonProperty.class);
            return p == null || p.value().isEmpty() ? c.getName() : p.value();
        } catch (NoSuchFieldException e) {
            return c.getName();
        }
    }

    private static Optional<ClusterException> clusterCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClusterException c) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Instant.class) {
            return "a time such as 2025-01-31T12:00:00Z";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(c -> enumName(type, (Enum<?>) c))
                    .collect(Collectors.joining(", "));
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping";
        }
        if (type == IntOrPercent.class) {
            return "a whole number or a percentage such as '25%'";
        }
        return "a " + type.getSimpleName();
    }

    private static String enumName(Class<?> type, Enum<?> constant) {
        try {
            JsonProperty p = type.getField(constant.name()).getAnnotation(JsonProperty.class);
            return p == null ? constant.name() : p.value();
        } catch (NoSuchFieldException e) {
            return constant.name();
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable value";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
