package dev.kiln.cluster.model;

/** A set of identical Nodes kept at a replica count by the NodePool controller. */
public record NodePool(String apiVersion, Kind kind, ObjectMeta metadata, NodePoolSpec spec, NodePoolStatus status)
        implements Resource {
    public NodePool {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.NODE_POOL);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        spec = Defaults.or(spec, NodePoolSpec.EMPTY);
        status = Defaults.or(status, NodePoolStatus.EMPTY);
    }

    /** A pool with an empty status. */
    public static NodePool of(ObjectMeta metadata, NodePoolSpec spec) {
        return new NodePool(Resource.API_VERSION, Kind.NODE_POOL, metadata, spec, NodePoolStatus.EMPTY);
    }

    @Override
    public NodePool withMetadata(ObjectMeta metadata) {
        return new NodePool(apiVersion, kind, metadata, spec, status);
    }

    public NodePool withSpec(NodePoolSpec spec) {
        return new NodePool(apiVersion, kind, metadata, spec, status);
    }

    public NodePool withStatus(NodePoolStatus status) {
        return new NodePool(apiVersion, kind, metadata, spec, status);
    }
}
