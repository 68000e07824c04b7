package dev.kiln.cluster.model;

/**
 * A cluster resource, Kubernetes-shaped: {@code apiVersion: kiln.dev/v1}, a {@link Kind}, {@link ObjectMeta} and
 * (for most kinds) a spec with the desired state and a status with the observed state. One record per kind; an
 * exhaustive {@code switch} over this interface handles every kind.
 */
public sealed interface Resource permits Host, NodePool, Node, Pod, Deployment, Event {
    /** The only API version kiln serves. */
    String API_VERSION = "kiln.dev/v1";

    String apiVersion();

    Kind kind();

    ObjectMeta metadata();

    /** This resource with other metadata (a new resourceVersion, uid, labels, ...). */
    Resource withMetadata(ObjectMeta metadata);

    /** Shorthand for {@code metadata().name()}. */
    default String name() {
        return metadata().name();
    }
}
