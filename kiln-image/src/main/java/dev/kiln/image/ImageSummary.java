package dev.kiln.image;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One line of {@code kiln image ls}.
 *
 * @param id       the image id: the config digest, as {@code docker images} shows it (12 hex digits)
 * @param digest   the manifest digest, what the registry serves and a guest verifies
 * @param references the canonical {@code repository:tag} names of the image; empty for an untagged image
 * @param size     manifest + config + layers, in bytes as stored (layers compressed or not, as imported)
 */
public record ImageSummary(Digest id, Digest digest, List<String> references, Optional<Instant> created, long size) {
    public ImageSummary {
        references = List.copyOf(references);
    }
}
