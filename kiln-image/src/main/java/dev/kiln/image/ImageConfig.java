package dev.kiln.image;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an image's config says about how to run it (the OCI image config's {@code config} section plus its
 * platform and creation time).
 */
public record ImageConfig(
        String os,
        String architecture,
        Optional<Instant> created,
        List<String> entrypoint,
        List<String> cmd,
        List<String> env,
        Optional<String> workingDir,
        Optional<String> user,
        List<String> exposedPorts,
        Map<String, String> labels) {

    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        exposedPorts = List.copyOf(exposedPorts);
        labels = Map.copyOf(labels);
    }
}
