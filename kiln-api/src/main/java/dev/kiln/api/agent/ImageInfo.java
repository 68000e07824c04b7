package dev.kiln.api.agent;

import java.util.List;

/**
 * An image in the guest's cache.
 *
 * @param digest         the manifest digest
 * @param layers         layer digests, bottom first
 * @param layersFetched  layers downloaded by this pull
 * @param layersCached   layers the guest already had
 */
public record ImageInfo(String reference, String digest, String configDigest, List<String> layers,
                        long sizeBytes, int layersFetched, int layersCached) {
    public ImageInfo {
        reference = Wire.text(reference, "reference");
        digest = Wire.text(digest, "digest");
        configDigest = Wire.text(configDigest, "configDigest");
        layers = Wire.list(layers);
    }
}
