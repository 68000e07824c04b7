package dev.kiln.guest;

import java.nio.file.Path;

/** Builds guest images (kernel, initramfs, ext4 root filesystem) from host packages and caches them by content. */
public interface GuestImageBuilder {
    /**
     * Returns the cached image for these options, building it first (into {@code cacheDir/guest/<digest>/})
     * if absent. Thread-safe and safe across processes: a build goes into a temporary directory that is
     * renamed into place atomically, under a file lock.
     *
     * @throws GuestException when an input is missing or invalid, a host tool is missing, or the build fails
     */
    GuestImage ensure(GuestImageOptions options, ProgressListener progress);

    /** A builder that caches images under {@code cacheDir/guest/}. */
    static GuestImageBuilder create(Path cacheDir) {
        return new CachingGuestImageBuilder(cacheDir, HostLayout.system());
    }
}
