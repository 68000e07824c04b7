package dev.kiln.image;

import java.util.List;

/**
 * What an import added.
 *
 * @param images      the images of the archive, as the store now lists them
 * @param blobsAdded  blobs that were new to the store
 * @param bytesAdded  their total size
 * @param untagged    names that moved to the imported images, leaving another image without them
 */
public record ImportResult(List<ImageSummary> images, int blobsAdded, long bytesAdded, List<String> untagged) {
    public ImportResult {
        images = List.copyOf(images);
        untagged = List.copyOf(untagged);
    }
}
