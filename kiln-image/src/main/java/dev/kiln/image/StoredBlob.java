package dev.kiln.image;

import java.nio.file.Path;

/** A verified blob in the store, as the registry serves it: the file must not be written to. */
public record StoredBlob(Digest digest, String mediaType, long size, Path file) {
}
