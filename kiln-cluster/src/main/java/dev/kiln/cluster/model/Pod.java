package dev.kiln.cluster.model;

/** A group of containers that run together in one Node's VM; bound to a Node by the scheduler. */
public record Pod(String apiVersion, Kind kind, ObjectMeta metadata, PodSpec spec, PodStatus status)
        implements Resource {
    public Pod {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.POD);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        spec = Defaults.or(spec, PodSpec.EMPTY);
        status = Defaults.or(status, PodStatus.EMPTY);
    }

    /** A pod with an empty status. */
    public static Pod of(ObjectMeta metadata, PodSpec spec) {
        return new Pod(Resource.API_VERSION, Kind.POD, metadata, spec, PodStatus.EMPTY);
    }

    /** The sum of its containers' requests: what it takes from a Node. */
    public Resources requests() {
        return spec.containers().stream().map(c -> c.resources().requests()).reduce(Resources.ZERO, Resources::plus);
    }

    @Override
    public Pod withMetadata(ObjectMeta metadata) {
        return new Pod(apiVersion, kind, metadata, spec, status);
    }

    public Pod withSpec(PodSpec spec) {
        return new Pod(apiVersion, kind, metadata, spec, status);
    }

    public Pod withStatus(PodStatus status) {
        return new Pod(apiVersion, kind, metadata, spec, status);
    }
}
