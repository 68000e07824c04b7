package dev.kiln.image;

/** One layer of an image as stored: its blob digest, media type (tar or tar+gzip) and size in bytes. */
public record LayerInfo(Digest digest, String mediaType, long size) {
}
