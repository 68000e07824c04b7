package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.cluster.ClusterException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The manifest decoders behind {@code kiln apply -f} (YAML) and the cluster API (JSON) take text from anyone who
 * can reach them. Each either returns resources or throws its documented {@link ManifestException}, which names
 * the source; any other exception is a finding. Inputs live in {@code ManifestFuzzTestInputs/} (docs/ARCHITECTURE.md,
 * "Hostile input").
 */
class ManifestFuzzTest {
    private static final String SOURCE = "fuzz.yaml";

    @FuzzTest(maxDuration = "60s")
    void yamlManifestsReadOrFailClearly(byte[] data) {
        List<Resource> resources;
        try {
            resources = Manifests.read(new String(data, StandardCharsets.UTF_8), SOURCE);
        } catch (ManifestException e) {
            assertThat(e.getMessage()).contains(SOURCE);
            return;
        }
        for (Resource resource : resources) {
            validatedAndRoundTripped(resource);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void jsonResourceReadsOrFailsClearly(byte[] data) {
        Resource resource;
        try {
            resource = Manifests.readJson(data);
        } catch (ManifestException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        validatedAndRoundTripped(resource);
    }

    /** What apply does next: {@link Validation#check} passes or throws a ClusterException; a read resource writes back. */
    private static void validatedAndRoundTripped(Resource resource) {
        try {
            Validation.check(resource);
        } catch (ClusterException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        assertThat(Manifests.readJson(Manifests.toJson(resource))).isEqualTo(resource);
    }
}
