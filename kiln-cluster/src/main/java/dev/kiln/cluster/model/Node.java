package dev.kiln.cluster.model;

/** One microVM that runs Pods; created by its pool, bound to a Host by the scheduler, run by that Host. */
public record Node(String apiVersion, Kind kind, ObjectMeta metadata, NodeSpec spec, NodeStatus status)
        implements Resource {
    public Node {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.NODE);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        spec = Defaults.or(spec, NodeSpec.EMPTY);
        status = Defaults.or(status, NodeStatus.EMPTY);
    }

    /** A node with an empty status. */
    public static Node of(ObjectMeta metadata, NodeSpec spec) {
        return new Node(Resource.API_VERSION, Kind.NODE, metadata, spec, NodeStatus.EMPTY);
    }

    @Override
    public Node withMetadata(ObjectMeta metadata) {
        return new Node(apiVersion, kind, metadata, spec, status);
    }

    public Node withSpec(NodeSpec spec) {
        return new Node(apiVersion, kind, metadata, spec, status);
    }

    public Node withStatus(NodeStatus status) {
        return new Node(apiVersion, kind, metadata, spec, status);
    }
}
