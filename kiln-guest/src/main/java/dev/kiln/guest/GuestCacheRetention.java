package dev.kiln.guest;

import java.time.Duration;
import java.util.Objects;

/**
 * Which guest images the cache keeps. Besides the image that {@code ensure} returns, it keeps the
 * {@code keepOthers} most recently used other images, and any image used within {@code grace}; it removes the rest.
 *
 * @param keepOthers how many other images to keep however long ago they were used: a rollback, or a second kiln
 *                   version sharing the cache, finds its image without a rebuild
 * @param grace      an image used more recently than this is kept whatever its rank, so that a process of another
 *                   kiln version that has just found its image in the cache does not lose it
 */
public record GuestCacheRetention(int keepOthers, Duration grace) {
    public GuestCacheRetention {
        if (keepOthers < 0) {
            throw new IllegalArgumentException("keepOthers must not be negative: " + keepOthers);
        }
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative: " + grace);
        }
    }

    /** Keeps 2 other images, and any image used within the last hour. */
    public static GuestCacheRetention defaults() {
        return new GuestCacheRetention(2, Duration.ofHours(1));
    }
}
