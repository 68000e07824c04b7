package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The metadata of every resource. {@code name} is a DNS-1123 label (checked by {@link Validation}); {@code uid},
 * {@code resourceVersion} and {@code creationTimestamp} are set by the store, {@code generation} counts spec
 * changes.
 */
public record ObjectMeta(String name, Map<String, String> labels, Map<String, String> annotations, Optional<String> uid,
                         Optional<String> resourceVersion, Optional<Instant> creationTimestamp, long generation) {
    public ObjectMeta {
        name = Defaults.string(name);
        labels = Defaults.map(labels);
        annotations = Defaults.map(annotations);
        uid = Defaults.optional(uid);
        resourceVersion = Defaults.optional(resourceVersion);
        creationTimestamp = Defaults.optional(creationTimestamp);
    }

    /** Metadata with just a name. */
    public static ObjectMeta named(String name) {
        return new ObjectMeta(Objects.requireNonNull(name, "name"), Map.of(), Map.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0);
    }

    public ObjectMeta withName(String name) {
        return new ObjectMeta(name, labels, annotations, uid, resourceVersion, creationTimestamp, generation);
    }

    public ObjectMeta withLabels(Map<String, String> labels) {
        return new ObjectMeta(name, labels, annotations, uid, resourceVersion, creationTimestamp, generation);
    }

    public ObjectMeta withAnnotations(Map<String, String> annotations) {
        return new ObjectMeta(name, labels, annotations, uid, resourceVersion, creationTimestamp, generation);
    }

    public ObjectMeta withUid(String uid) {
        return new ObjectMeta(name, labels, annotations, Optional.of(uid), resourceVersion, creationTimestamp,
                generation);
    }

    public ObjectMeta withResourceVersion(String resourceVersion) {
        return new ObjectMeta(name, labels, annotations, uid, Optional.of(resourceVersion), creationTimestamp,
                generation);
    }

    /** This metadata without a resourceVersion (an unconditional write). */
    public ObjectMeta withoutResourceVersion() {
        return new ObjectMeta(name, labels, annotations, uid, Optional.empty(), creationTimestamp, generation);
    }

    public ObjectMeta withCreationTimestamp(Instant creationTimestamp) {
        return new ObjectMeta(name, labels, annotations, uid, resourceVersion, Optional.of(creationTimestamp),
                generation);
    }

    public ObjectMeta withGeneration(long generation) {
        return new ObjectMeta(name, labels, annotations, uid, resourceVersion, creationTimestamp, generation);
    }
}
