package dev.kiln.agent;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Pulls images from an OCI distribution API (the host's read-only registry) into the guest's content-addressed
 * blob store: every manifest and blob is verified against its digest and size while it streams, and blobs the
 * guest already has are not fetched again.
 */
public interface ImagePuller {

    /** A layer of a pulled image, bottom first. */
    record Layer(String digest, long size, String mediaType) {
    }

    /**
     * An image whose config and layers are all in the blob store.
     *
     * @param digest        the (platform) manifest's digest
     * @param layersFetched layers downloaded by this pull; the others were in the store already
     */
    record PulledImage(String reference, String digest, String configDigest, ImageConfig config,
                       List<Layer> layers, int layersFetched) {
        public PulledImage {
            layers = List.copyOf(layers);
        }

        public long sizeBytes() {
            return layers.stream().mapToLong(Layer::size).sum();
        }
    }

    /** Pulls {@code reference} (e.g. {@code library/busybox:1.36}) from the registry at {@code registry}. */
    PulledImage pull(String reference, URI registry);

    /** The path of a verified blob in the store. */
    Path blob(String digest);

    /** The HTTP client is built on the first pull: it loads the TLS stack, which start-up should not pay for. */
    static ImagePuller create(Path stateDir, Duration requestTimeout) {
        return new OciImagePuller(() -> HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build(), new BlobStore(stateDir), requestTimeout);
    }
}
