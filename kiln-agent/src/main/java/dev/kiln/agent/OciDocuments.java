package dev.kiln.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Optional;

/** The parts of OCI and Docker v2 image documents the agent reads; other fields are ignored. */
final class OciDocuments {
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final List<String> LAYER_TYPES = List.of(
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
    /** Accept header of a manifest request: every type the agent can read. */
    static final String MANIFEST_ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST);

    private OciDocuments() {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Platform(String architecture, String os, Optional<String> variant) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Descriptor(String mediaType, String digest, long size, Optional<Platform> platform) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Index(int schemaVersion, Optional<String> mediaType, List<Descriptor> manifests) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Manifest(int schemaVersion, Optional<String> mediaType, Descriptor config, List<Descriptor> layers) {
    }

    /** The "config" object of an image configuration, Docker's capitalized names. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record RunConfig(@JsonProperty("Entrypoint") Optional<List<String>> entrypoint,
                     @JsonProperty("Cmd") Optional<List<String>> cmd,
                     @JsonProperty("Env") Optional<List<String>> env,
                     @JsonProperty("WorkingDir") Optional<String> workingDir,
                     @JsonProperty("User") Optional<String> user) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ImageConfigFile(Optional<String> architecture, Optional<String> os, Optional<RunConfig> config) {
    }
}
