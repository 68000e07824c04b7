package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The kinds of cluster resource: each has its manifest name ({@code NodePool}), its plural for API paths
 * ({@code nodepools}) and short aliases for the CLI ({@code np}).
 */
public enum Kind {
    HOST("Host", "hosts", Host.class, "host"),
    NODE_POOL("NodePool", "nodepools", NodePool.class, "nodepool", "np"),
    NODE("Node", "nodes", Node.class, "node"),
    POD("Pod", "pods", Pod.class, "pod", "po"),
    DEPLOYMENT("Deployment", "deployments", Deployment.class, "deployment", "deploy"),
    EVENT("Event", "events", Event.class, "event", "ev");

    private final String manifestName;
    private final String plural;
    private final Class<? extends Resource> type;
    private final List<String> aliases;

    Kind(String manifestName, String plural, Class<? extends Resource> type, String... aliases) {
        this.manifestName = manifestName;
        this.plural = plural;
        this.type = type;
        this.aliases = List.of(aliases);
    }

    /** The name in a manifest's {@code kind} field, such as {@code NodePool}. */
    @JsonValue
    public String manifestName() {
        return manifestName;
    }

    /** The plural used in API paths and store keys, such as {@code nodepools}. */
    public String plural() {
        return plural;
    }

    /** The short names the CLI accepts besides the manifest name and the plural. */
    public List<String> aliases() {
        return aliases;
    }

    /** The record class of this kind. */
    public Class<? extends Resource> type() {
        return type;
    }

    /** The kind whose manifest name is exactly {@code name} (case-sensitive, as in a manifest). */
    public static Optional<Kind> ofManifestName(String name) {
        return Arrays.stream(values()).filter(k -> k.manifestName.equals(name)).findFirst();
    }

    /** The kind of a manifest's {@code kind} field; only exact manifest names. */
    @JsonCreator
    static Kind fromJson(String name) {
        return ofManifestName(name).orElseThrow(() -> unknown(name));
    }

    /**
     * The kind named by a manifest name, plural or alias, case-insensitively ({@code NodePool}, {@code nodepools},
     * {@code np}).
     *
     * @throws ClusterException {@link ClusterError#UNKNOWN_KIND} listing the valid kinds
     */
    public static Kind parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (Kind kind : values()) {
            if (kind.manifestName.toLowerCase(Locale.ROOT).equals(wanted) || kind.plural.equals(wanted)
                    || kind.aliases.contains(wanted)) {
                return kind;
            }
        }
        throw unknown(name);
    }

    /** The manifest names of all kinds, comma-separated, for error messages. */
    public static String knownNames() {
        return Arrays.stream(values()).map(Kind::manifestName).collect(Collectors.joining(", "));
    }

    private static ClusterException unknown(String name) {
        String all = Arrays.stream(values())
                .map(k -> k.manifestName + " (" + String.join(", ", k.plural, String.join(", ", k.aliases)) + ")")
                .collect(Collectors.joining(", "));
        return new ClusterException(ClusterError.UNKNOWN_KIND, "unknown kind '" + name + "'; known kinds: " + knownNames(),
                "use one of " + all);
    }
}
