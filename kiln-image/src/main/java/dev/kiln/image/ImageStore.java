package dev.kiln.image;

import java.nio.file.Path;
import java.util.List;

/**
 * The host's image store: an OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/<hex>}) in which every blob is verified before it becomes visible. Names are the
 * {@code org.opencontainers.image.ref.name} annotation of index entries, as canonical {@code repository:tag}.
 *
 * <p>Writers (import, remove) hold a file lock on the store; readers need none, because {@code index.json} is
 * replaced atomically and blobs are written before the index refers to them.
 */
public interface ImageStore extends ImageReader {

    /** Opens (creating if needed) the store at {@code root} with {@link ImageLimits#defaults()}. */
    static ImageStore open(Path root) {
        return open(root, ImageLimits.defaults());
    }

    static ImageStore open(Path root, ImageLimits limits) {
        return OciImageStore.open(root, limits);
    }

    Path root();

    /**
     * Imports every linux/amd64 image of an OCI layout directory, a tar or tar.gz of one (what {@code docker save}
     * writes since Docker 25), or a legacy {@code docker save} archive. Names come from the archive. Atomic: on
     * any error nothing in the store changed.
     */
    default ImportResult importFrom(Path source) {
        return importFrom(source, List.of());
    }

    /**
     * As {@link #importFrom(Path)}, and also gives the imported image the names {@code tags}
     * ({@code repository[:tag]}); the archive must then hold exactly one image.
     */
    ImportResult importFrom(Path source, List<String> tags);

    /**
     * Removes a name ({@code hello:1.0}), or an image with all its names (by digest or id). An image left without
     * names is deleted, and blobs no image refers to any more are deleted.
     */
    RemoveResult remove(String reference);
}
