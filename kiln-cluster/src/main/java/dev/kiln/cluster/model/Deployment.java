package dev.kiln.cluster.model;

/** A replicated set of Pods from one template, rolled forward by the Deployment controller on template changes. */
public record Deployment(String apiVersion, Kind kind, ObjectMeta metadata, DeploymentSpec spec,
                         DeploymentStatus status) implements Resource {
    public Deployment {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.DEPLOYMENT);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        spec = Defaults.or(spec, DeploymentSpec.EMPTY);
        status = Defaults.or(status, DeploymentStatus.EMPTY);
    }

    /** A deployment with an empty status. */
    public static Deployment of(ObjectMeta metadata, DeploymentSpec spec) {
        return new Deployment(Resource.API_VERSION, Kind.DEPLOYMENT, metadata, spec, DeploymentStatus.EMPTY);
    }

    @Override
    public Deployment withMetadata(ObjectMeta metadata) {
        return new Deployment(apiVersion, kind, metadata, spec, status);
    }

    public Deployment withSpec(DeploymentSpec spec) {
        return new Deployment(apiVersion, kind, metadata, spec, status);
    }

    public Deployment withStatus(DeploymentStatus status) {
        return new Deployment(apiVersion, kind, metadata, spec, status);
    }
}
