package dev.kiln.cluster.model;

/** A machine that runs Nodes (microVMs); its node runtime registers it and keeps its lease alive. */
public record Host(String apiVersion, Kind kind, ObjectMeta metadata, HostSpec spec, HostStatus status)
        implements Resource {
    public Host {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.HOST);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        spec = Defaults.or(spec, HostSpec.EMPTY);
        status = Defaults.or(status, HostStatus.EMPTY);
    }

    /** A host with an empty status. */
    public static Host of(ObjectMeta metadata, HostSpec spec) {
        return new Host(Resource.API_VERSION, Kind.HOST, metadata, spec, HostStatus.EMPTY);
    }

    @Override
    public Host withMetadata(ObjectMeta metadata) {
        return new Host(apiVersion, kind, metadata, spec, status);
    }

    public Host withSpec(HostSpec spec) {
        return new Host(apiVersion, kind, metadata, spec, status);
    }

    public Host withStatus(HostStatus status) {
        return new Host(apiVersion, kind, metadata, spec, status);
    }
}
