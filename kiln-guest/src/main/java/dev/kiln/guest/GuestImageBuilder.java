package dev.kiln.guest;

import java.nio.file.Path;

/** Builds guest images (kernel, initramfs, ext4 root filesystem) from host packages and caches them by content. */
public interface GuestImageBuilder {
    /**
     * Returns the cached image for these options, building it first (into {@code cacheDir/guest/<digest>/})
     * if absent. Thread-safe and safe across processes: a build goes into a temporary directory that is
     * renamed into place atomically, under a file lock. Records that the image was used now, and removes cached
     * images that the builder's {@link GuestCacheRetention} does not keep; a failure to remove one is reported to
     * {@code progress}, not thrown.
     *
     * @throws GuestException when an input is missing or invalid, a host tool is missing, or the build fails
     */
    GuestImage ensure(GuestImageOptions options, ProgressListener progress);

    /**
     * As {@link #ensure(GuestImageOptions, ProgressListener)}, but an image that is not cached is first pulled from
     * the offers of the same digest, in order (every file checked against its size and sha256, the inputs against
     * this host's), and built only when none delivers it. Offers of other digests are ignored: another digest means
     * other inputs (kernel, agent, JDK), and so an image this host's kiln did not ask for.
     */
    GuestImage ensure(GuestImageOptions options, java.util.List<GuestImageOffer> offers, ProgressListener progress);

    /** A builder that caches images under {@code cacheDir/guest/}, with {@link GuestCacheRetention#defaults()}. */
    static GuestImageBuilder create(Path cacheDir) {
        return create(cacheDir, GuestCacheRetention.defaults());
    }

    /** A builder that caches images under {@code cacheDir/guest/} and keeps unused ones as {@code retention} says. */
    static GuestImageBuilder create(Path cacheDir, GuestCacheRetention retention) {
        return new CachingGuestImageBuilder(cacheDir, HostLayout.system(), retention);
    }
}
