package dev.kiln.image;

import java.util.List;

/**
 * What a remove did.
 *
 * @param untagged      names removed
 * @param deletedImages manifests no name (or untagged entry) refers to any more, now gone
 * @param blobsDeleted  blobs garbage-collected because no image in the store refers to them
 * @param bytesFreed    their total size
 */
public record RemoveResult(List<String> untagged, List<Digest> deletedImages, int blobsDeleted, long bytesFreed) {
    public RemoveResult {
        untagged = List.copyOf(untagged);
        deletedImages = List.copyOf(deletedImages);
    }
}
