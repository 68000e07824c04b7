package dev.kiln.image;

/** Why an image operation failed; each code carries a default hint for the user. */
public enum ImageError {
    IMAGE_NOT_FOUND("list the images with `kiln image ls`"),
    AMBIGUOUS_REFERENCE("use more characters of the id, or the full sha256:<hex> digest (see `kiln image ls`)"),
    INVALID_REFERENCE("use name[:tag], name@sha256:<hex>, sha256:<hex> or an id prefix such as 3f2a9c1b"),
    UNSUPPORTED_FORMAT("import an OCI image layout directory, a tar (or tar.gz) of one, or a `docker save` archive"),
    CORRUPT_ARCHIVE("the archive is truncated or damaged: export the image again; the store was not changed"),
    MISSING_BLOB("the archive lacks a blob its manifest names: export the image again; the store was not changed"),
    DIGEST_MISMATCH("the content does not match its digest or size: export the image again; the store was not changed"),
    TOO_LARGE("the file is larger than kiln accepts for its kind; the store was not changed"),
    MALFORMED_JSON("the file is not the JSON document the OCI image spec describes; the store was not changed"),
    UNSAFE_ENTRY("the archive has an entry that could write outside the image's root; it was rejected and the store was not changed"),
    UNSUPPORTED_MEDIA_TYPE("kiln accepts OCI and Docker schema 2 manifests with tar or tar+gzip layers"),
    UNSUPPORTED_PLATFORM("kiln runs linux/amd64 images only: export that platform (docker save --platform linux/amd64)"),
    INVALID_BUILD_SPEC("fix the build spec; see the message for the field"),
    BUILD_FAILED("check the message above; nothing was added to the store"),
    REGISTRY_FAILED("is the address in use or not on this host? pick another address or port"),
    STORE_FAILED("check that the image store directory is writable and the disk is not full");

    private final String defaultHint;

    ImageError(String defaultHint) {
        this.defaultHint = defaultHint;
    }

    /** What the user can do about this error in general. */
    public String defaultHint() {
        return defaultHint;
    }
}
