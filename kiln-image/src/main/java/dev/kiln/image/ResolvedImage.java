package dev.kiln.image;

/** What a reference names: the manifest to hand a guest (by digest) and the config to run the container with. */
public record ResolvedImage(Digest manifestDigest, Digest id, ImageConfig config) {
}
