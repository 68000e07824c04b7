package dev.kiln.image;

import java.util.List;

/**
 * Everything {@code kiln image inspect} shows.
 *
 * @param digest            the manifest digest
 * @param id                the config digest (the image id)
 * @param manifestMediaType OCI or Docker schema 2 manifest
 * @param totalSize         manifest + config + layers, in bytes as stored
 */
public record ImageDetails(Digest digest, Digest id, String manifestMediaType, List<String> references,
                           ImageConfig config, List<LayerInfo> layers, long totalSize) {
    public ImageDetails {
        references = List.copyOf(references);
        layers = List.copyOf(layers);
    }
}
