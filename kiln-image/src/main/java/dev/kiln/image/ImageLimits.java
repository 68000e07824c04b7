package dev.kiln.image;

/**
 * Size caps for the JSON documents of an image (index, manifest, config, docker's manifest.json): a document
 * over the cap is rejected before it is parsed, so a hostile archive cannot make the host parse gigabytes.
 *
 * @param maxJsonBytes the largest index, manifest or config accepted, in bytes
 */
public record ImageLimits(long maxJsonBytes) {
    public static final long DEFAULT_MAX_JSON_BYTES = 4L << 20;

    public ImageLimits {
        if (maxJsonBytes < 1024) {
            throw new ImageException(ImageError.STORE_FAILED, "maxJsonBytes must be at least 1024, got " + maxJsonBytes,
                    "use ImageLimits.defaults()");
        }
    }

    /** 4 MiB for every JSON document, as registries commonly cap manifests. */
    public static ImageLimits defaults() {
        return new ImageLimits(DEFAULT_MAX_JSON_BYTES);
    }
}
