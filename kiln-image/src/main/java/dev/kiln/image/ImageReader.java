package dev.kiln.image;

import java.util.List;
import java.util.Optional;

/**
 * Read access to the image store: what {@code kiln image ls|inspect} and the read-only registry need. It has no
 * method that changes the store, so a component given only a reader cannot change it.
 */
public interface ImageReader {
    /** Every image, in the order of the store's index; an image with several names is one entry. */
    List<ImageSummary> list();

    /** @throws ImageException {@link ImageError#IMAGE_NOT_FOUND} naming the reference, or {@link ImageError#AMBIGUOUS_REFERENCE} */
    ImageDetails inspect(String reference);

    /** The manifest digest and config a reference names; same errors as {@link #inspect}. */
    ResolvedImage resolve(String reference);

    /**
     * What a guest pulls from the registry for this reference: {@code repository@sha256:...}, with the repository the
     * user named, else the image's first name. Same errors as {@link #inspect}; an image without any name cannot be
     * pulled (the registry serves by repository).
     */
    String pullReference(String reference);

    /** The tags of a repository ({@code hello}, {@code library/hello} and {@code docker.io/library/hello} are one); empty when unknown. */
    List<String> tags(String repository);

    /** The manifest that {@code repository:tag} or {@code repository@digest} names; empty when the store has no such image. */
    Optional<StoredBlob> manifest(String repository, String tagOrDigest);

    /** A blob that an image of {@code repository} refers to (manifest, config or layer); empty otherwise. */
    Optional<StoredBlob> blob(String repository, Digest digest);
}
