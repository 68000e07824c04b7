package dev.kiln.cluster.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes resources as YAML and JSON manifests, strictly: an unknown kind or field, a wrong apiVersion, a
 * value of the wrong type or malformed text is a {@link ManifestException} that names the source, the document and
 * the path of the bad field. Reading checks shape only; {@link Validation} checks values.
 */
public final class Manifests {
    private Manifests() {
    }

    /**
     * The resources of one or more YAML documents separated by {@code ---} (JSON is YAML, so JSON works too). Empty
     * documents are skipped; no documents at all is an empty list.
     *
     * @param sourceName where the text came from (a file name), for error messages
     * @throws ManifestException for anything that is not a well-formed kiln resource
     */
    public static List<Resource> read(String text, String sourceName) {
        List<Resource> out = new ArrayList<>();
        try (JsonParser parser = ManifestMapper.YAML.createParser(text);
             MappingIterator<JsonNode> documents = ManifestMapper.YAML.readValues(parser, JsonNode.class)) {
            int number = 0;
            while (documents.hasNextValue()) {
                JsonNode document = documents.nextValue();
                number++;
                if (!isEmpty(document)) {
                    out.add(bind(ManifestMapper.YAML, document, sourceName, number));
                }
            }
        } catch (JsonProcessingException e) {
            throw ManifestErrors.malformed(sourceName, "YAML", e);
        } catch (IOException e) {
            throw new ManifestException(ClusterError.INVALID, prefix(sourceName) + "cannot read: " + e.getMessage(),
                    "", "", e);
        }
        return List.copyOf(out);
    }

    /**
     * One resource from JSON, as the API and the store hold it.
     *
     * @throws ManifestException for anything that is not a well-formed kiln resource
     */
    public static Resource readJson(byte[] json) {
        JsonNode document;
        try {
            document = ManifestMapper.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw ManifestErrors.malformed("", "JSON", e);
        } catch (IOException e) {
            throw new ManifestException(ClusterError.INVALID, "cannot read JSON: " + e.getMessage(), "", "", e);
        }
        if (document == null || document.isMissingNode()) {
            throw new ManifestException(ClusterError.INVALID, "empty JSON document", "", "send one resource", null);
        }
        return bind(ManifestMapper.JSON, document, "", 1);
    }

    /** The resource as a YAML document (without a leading {@code ---}). */
    public static String toYaml(Resource resource) {
        return write(() -> ManifestMapper.YAML.writeValueAsString(resource));
    }

    /** The resource as compact UTF-8 JSON. */
    public static byte[] toJson(Resource resource) {
        return toJsonString(resource).getBytes(StandardCharsets.UTF_8);
    }

    /** The resource as compact JSON text. */
    public static String toJsonString(Resource resource) {
        return write(() -> ManifestMapper.JSON.writeValueAsString(resource));
    }

    /** The resource as indented JSON text, for people. */
    public static String toPrettyJson(Resource resource) {
        return write(() -> ManifestMapper.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(resource));
    }

    private static Resource bind(ObjectMapper mapper, JsonNode document, String source, int number) {
        String where = prefix(source) + "document " + number;
        if (!document.isObject()) {
            throw new ManifestException(ClusterError.INVALID, where + ": expected a mapping with apiVersion, kind,"
                    + " metadata and spec, got " + document.getNodeType().name().toLowerCase(java.util.Locale.ROOT),
                    "", "", null);
        }
        JsonNode kindNode = document.get("kind");
        if (kindNode == null || !kindNode.isTextual()) {
            throw new ManifestException(ClusterError.INVALID, where + ": missing kind; known kinds: "
                    + Kind.knownNames(), "kind", "add a kind line, such as kind: Deployment", null);
        }
        String kindName = kindNode.asText();
        Kind kind = Kind.ofManifestName(kindName).orElseThrow(() -> new ManifestException(ClusterError.UNKNOWN_KIND,
                where + ": unknown kind '" + kindName + "'; known kinds: " + Kind.knownNames(), "kind",
                ManifestErrors.closest(kindName, Arrays.stream(Kind.values()).map(Kind::manifestName).toList())
                        .map(k -> "did you mean '" + k + "'?").orElse("use one of " + Kind.knownNames()), null));
        JsonNode name = document.path("metadata").path("name");
        String label = where + " (" + kind.manifestName() + (name.isTextual() ? " " + name.asText() : "") + ")";
        JsonNode apiVersion = document.get("apiVersion");
        if (apiVersion == null || !apiVersion.isTextual() || !apiVersion.asText().equals(Resource.API_VERSION)) {
            String got = apiVersion == null ? "missing apiVersion" : "unsupported apiVersion '" + apiVersion.asText() + "'";
            throw new ManifestException(ClusterError.INVALID, label + ": " + got + "; expected '" + Resource.API_VERSION
                    + "'", "apiVersion", "set apiVersion: " + Resource.API_VERSION, null);
        }
        try {
            return mapper.treeToValue(document, kind.type());
        } catch (JsonProcessingException e) {
            throw ManifestErrors.binding(label, e, document);
        } catch (IllegalArgumentException e) {
            throw new ManifestException(ClusterError.INVALID, label + ": " + e.getMessage(), "", "", e);
        }
    }

    /** An empty document, or one of only comments (which YAML reads as an empty scalar). */
    private static boolean isEmpty(JsonNode document) {
        return document == null || document.isNull() || document.isMissingNode()
                || (document.isTextual() && document.asText().isEmpty());
    }

    private static String prefix(String source) {
        return source == null || source.isEmpty() ? "" : source + ", ";
    }

    private interface Writer {
        String write() throws JsonProcessingException;
    }

    private static String write(Writer writer) {
        try {
            return writer.write();
        } catch (JsonProcessingException e) {
            throw new ClusterException(ClusterError.INTERNAL, "cannot write a resource: " + e.getOriginalMessage(),
                    "this is a bug in kiln", e);
        }
    }
}
