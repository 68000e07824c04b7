package dev.kiln.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OCI image spec's documents as kiln reads them. Unknown properties are ignored, as the OCI spec requires of
 * readers (kiln's own specs reject them instead); absent ones are null here and checked by the importer.
 */
final class Oci {
    static final String OCI_LAYOUT_VERSION = "1.0.0";
    static final String INDEX = "application/vnd.oci.image.index.v1+json";
    static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    static final String LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    static final String CONTAINERD_NAME = "io.containerd.image.name";

    static final Set<String> MANIFESTS = Set.of(MANIFEST, DOCKER_MANIFEST);
    static final Set<String> INDEXES = Set.of(INDEX, DOCKER_LIST);
    static final Set<String> CONFIGS = Set.of(CONFIG, DOCKER_CONFIG);
    static final Set<String> GZIP_LAYERS = Set.of(LAYER_TAR_GZIP, DOCKER_LAYER_GZIP);
    static final Set<String> TAR_LAYERS = Set.of(LAYER_TAR, DOCKER_LAYER_TAR);

    private Oci() {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Platform(String architecture, String os, String variant) {
        static final Platform LINUX_AMD64 = new Platform("amd64", "linux", null);

        boolean isLinuxAmd64() {
            return "linux".equals(os) && "amd64".equals(architecture);
        }

        @Override
        public String toString() {
            return os + "/" + architecture + (variant == null ? "" : "/" + variant);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Descriptor(String mediaType, String digest, Long size, Map<String, String> annotations,
                      Platform platform, List<String> urls) {
        Descriptor {
            annotations = annotations == null ? Map.of() : annotations;
            urls = urls == null ? List.of() : urls;
        }

        static Descriptor of(String mediaType, Digest digest, long size) {
            return new Descriptor(mediaType, digest.toString(), size, Map.of(), null, List.of());
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Index(Integer schemaVersion, String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
        Index {
            manifests = manifests == null ? List.of() : manifests;
            annotations = annotations == null ? Map.of() : annotations;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Manifest(Integer schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
                    Map<String, String> annotations) {
        Manifest {
            layers = layers == null ? List.of() : layers;
            annotations = annotations == null ? Map.of() : annotations;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Layout(String imageLayoutVersion) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Config(String created, String architecture, String os, RunConfig config, RootFs rootfs) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record RunConfig(@JsonProperty("User") String user,
                     @JsonProperty("ExposedPorts") Map<String, Object> exposedPorts,
                     @JsonProperty("Env") List<String> env,
                     @JsonProperty("Entrypoint") List<String> entrypoint,
                     @JsonProperty("Cmd") List<String> cmd,
                     @JsonProperty("WorkingDir") String workingDir,
                     @JsonProperty("Labels") Map<String, String> labels) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record RootFs(String type, @JsonProperty("diff_ids") List<String> diffIds) {
    }

    /** One entry of {@code docker save}'s {@code manifest.json}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record DockerSaveEntry(@JsonProperty("Config") String config,
                           @JsonProperty("RepoTags") List<String> repoTags,
                           @JsonProperty("Layers") List<String> layers) {
        DockerSaveEntry {
            repoTags = repoTags == null ? List.of() : repoTags;
            layers = layers == null ? List.of() : layers;
        }
    }
}
