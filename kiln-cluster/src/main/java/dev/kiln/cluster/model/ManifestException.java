package dev.kiln.cluster.model;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.util.Optional;

/**
 * A manifest that cannot be read: malformed YAML or JSON, an unknown kind or field, a wrong apiVersion, a value of
 * the wrong type. The message names the source, the document and the path of the bad field; {@link #path()} holds
 * the path alone (such as {@code spec.template.spec.containers[0].image}) for API error bodies.
 */
public final class ManifestException extends ClusterException {
    private final String path;

    public ManifestException(ClusterError code, String message, String path, String hint, Throwable cause) {
        super(code, message, hint, cause);
        this.path = path == null ? "" : path;
    }

    /** The path of the bad field in its document, when the error is about one field. */
    public Optional<String> path() {
        return path.isEmpty() ? Optional.empty() : Optional.of(path);
    }
}
