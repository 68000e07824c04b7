package dev.kiln.agent;

import java.util.List;
import java.util.Optional;

/**
 * What an image says about how to run it (its configuration's ENTRYPOINT, CMD, ENV, WORKDIR, USER); empty
 * values when the image sets none.
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workdir, String user) {
    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
    }

    public static ImageConfig empty() {
        return new ImageConfig(List.of(), List.of(), List.of(), "", "");
    }

    static ImageConfig from(Optional<OciDocuments.RunConfig> config) {
        return config.map(c -> new ImageConfig(
                        c.entrypoint().orElse(List.of()), c.cmd().orElse(List.of()), c.env().orElse(List.of()),
                        c.workingDir().orElse(""), c.user().orElse("")))
                .orElse(empty());
    }
}
