package dev.kiln.api.agent;

import java.util.Optional;

/** Pull an image into the guest's cache; {@code registry} as in {@link ContainerSpec#registry()}. */
public record PullRequest(String image, Optional<String> registry) {
    public PullRequest {
        image = Wire.text(image, "image");
        registry = Wire.opt(registry);
    }
}
