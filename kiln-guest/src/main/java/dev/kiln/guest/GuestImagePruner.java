package dev.kiln.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Records when each cached guest image was last used and removes the images that {@link GuestCacheRetention} no
 * longer keeps, so that the cache does not grow by an image (about 120 MB) with every change of the agent or kernel.
 *
 * <p>Use is the mtime of an empty {@value #LAST_USED_FILE} file in the image's directory; an image built by an
 * older kiln has none and counts as used when its {@code image.json} was written. Only directories named by a
 * digest (64 lowercase hex characters) that hold an {@code image.json} are candidates; nothing else in the cache is
 * touched. An image is removed by renaming it into a {@value #TRASH_PREFIX}{@code *} directory first, so a
 * half-deleted image is never taken for a valid one, then deleting that; what a failed delete leaves there is
 * deleted again by the next {@link #prune}. Failures are reported to the progress listener and never thrown:
 * pruning must not fail the {@code ensure} that triggered it.
 */
final class GuestImagePruner {
    static final String LAST_USED_FILE = "last-used";
    static final String TRASH_PREFIX = ".prune-";
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");

    /** Deletes a directory tree; the seam where tests make a deletion fail. Throws {@link GuestException}. */
    @FunctionalInterface
    interface TreeDeleter {
        void delete(Path root);
    }

    /** A cached image as the pruner sees it. */
    record Image(String digest, Path dir, Instant lastUsed) {
        Image {
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(lastUsed, "lastUsed");
        }
    }

    /**
     * What one {@link #prune} did.
     *
     * @param removed the digests of the images removed
     * @param bytes   the sum of the sizes of their files (the root file systems are sparse, so less disk space)
     * @param failed  the digests of the images that could not be removed, or only moved aside
     */
    record Pruned(List<String> removed, long bytes, List<String> failed) {
        static final Pruned NOTHING = new Pruned(List.of(), 0, List.of());

        Pruned {
            removed = List.copyOf(removed);
            failed = List.copyOf(failed);
        }
    }

    private final Path guestDir;
    private final GuestCacheRetention retention;
    private final Clock clock;
    private final TreeDeleter deleter;

    GuestImagePruner(Path guestDir, GuestCacheRetention retention, Clock clock, TreeDeleter deleter) {
        this.guestDir = Objects.requireNonNull(guestDir, "guestDir");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.deleter = Objects.requireNonNull(deleter, "deleter");
    }

    GuestImagePruner(Path guestDir, GuestCacheRetention retention, Clock clock) {
        this(guestDir, retention, clock, CachingGuestImageBuilder::deleteTree);
    }

    /**
     * Records that the image in {@code imageDir} is used now. Does nothing if the directory does not exist (the
     * image is not built yet); reports any other failure, since an image whose use is not recorded may be pruned.
     */
    void markUsed(Path imageDir, ProgressListener progress) {
        Path marker = imageDir.resolve(LAST_USED_FILE);
        try {
            try {
                Files.createFile(marker);
            } catch (FileAlreadyExistsException e) {
                // an earlier use: its time is set below
            }
            Files.setLastModifiedTime(marker, FileTime.from(clock.instant()));
        } catch (NoSuchFileException e) {
            // no such image (yet)
        } catch (IOException e) {
            progress.step("Could not record the use of guest image " + shortDigest(imageDir.getFileName().toString())
                    + ": " + reason(e));
        }
    }

    /**
     * Removes the images that the retention does not keep, besides {@code current}. Call it only under the cache
     * lock: no build or other prune may run meanwhile.
     */
    Pruned prune(String current, ProgressListener progress) {
        Instant now = clock.instant();
        List<Image> images;
        try {
            sweepTrash(progress);
            images = scan();
        } catch (IOException | UncheckedIOException e) {
            progress.step("Could not prune the guest image cache " + guestDir + ": " + reason(e));
            return Pruned.NOTHING;
        }
        List<String> removed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        long bytes = 0;
        for (Image image : plan(images, current, retention, now)) {
            long size = size(image.dir());
            if (remove(image, progress)) {
                removed.add(image.digest());
                bytes += size;
            } else {
                failed.add(image.digest());
            }
        }
        if (!removed.isEmpty()) {
            progress.step("Removed " + removed.size() + " unused guest image" + (removed.size() == 1 ? "" : "s")
                    + " (" + Math.round(bytes / 1e6) + " MB)");
        }
        return new Pruned(removed, bytes, failed);
    }

    /**
     * Which images to remove: every one but {@code current}, the {@code keepOthers} most recently used others, and
     * those used within the grace period. Pure; ties in the time of use are broken by digest, so the plan does not
     * depend on the order of the directory listing.
     */
    static List<Image> plan(List<Image> images, String current, GuestCacheRetention retention, Instant now) {
        Instant idleSince = now.minus(retention.grace());
        return images.stream()
                .filter(image -> !image.digest().equals(current))
                .sorted(Comparator.comparing(Image::lastUsed).reversed().thenComparing(Image::digest))
                .skip(retention.keepOthers())
                .filter(image -> !image.lastUsed().isAfter(idleSince))
                .toList();
    }

    private List<Image> scan() throws IOException {
        try (Stream<Path> entries = Files.list(guestDir)) {
            return entries.map(GuestImagePruner::image).flatMap(Optional::stream).toList();
        }
    }

    /** The image in {@code dir}, if it is a directory named by a digest that holds an image.json. */
    private static Optional<Image> image(Path dir) {
        String name = dir.getFileName().toString();
        Path manifest = dir.resolve(CachingGuestImageBuilder.MANIFEST_FILE);
        if (!DIGEST.matcher(name).matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Path marker = dir.resolve(LAST_USED_FILE);
        try {
            Path used = Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS) ? marker : manifest;
            FileTime time = Files.getLastModifiedTime(used, LinkOption.NOFOLLOW_LINKS);
            return Optional.of(new Image(name, dir, time.toInstant()));
        } catch (IOException e) {
            return Optional.empty(); // gone meanwhile (someone deleted it by hand)
        }
    }

    /** Renames the image out of the cache, then deletes it; false (and reported) if either fails. */
    private boolean remove(Image image, ProgressListener progress) {
        String name = shortDigest(image.digest());
        Path trash;
        try {
            trash = Files.createTempDirectory(guestDir, TRASH_PREFIX + name + "-");
        } catch (IOException e) {
            progress.step("Could not remove unused guest image " + name + ": " + reason(e));
            return false;
        }
        try {
            Files.move(image.dir(), trash.resolve("image"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            progress.step("Could not remove unused guest image " + name + ": " + reason(e));
            deleteQuietly(trash);
            return false;
        }
        try {
            deleter.delete(trash);
            return true;
        } catch (GuestException | UncheckedIOException e) {
            progress.step("Could not finish removing unused guest image " + name + " (moved to " + trash.getFileName()
                    + ", deleted again on the next prune): " + reason(e));
            return false;
        }
    }

    /** Deletes what earlier prunes moved aside but could not delete. */
    private void sweepTrash(ProgressListener progress) throws IOException {
        List<Path> trash;
        try (Stream<Path> entries = Files.list(guestDir)) {
            trash = entries.filter(p -> p.getFileName().toString().startsWith(TRASH_PREFIX))
                    .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .toList();
        }
        for (Path dir : trash) {
            try {
                deleter.delete(dir);
            } catch (GuestException | UncheckedIOException e) {
                progress.step("Could not delete " + dir + ", left by an earlier prune: " + reason(e));
            }
        }
    }

    /** The sum of the sizes of the files under {@code dir}; 0 if it cannot be walked. */
    private static long size(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.mapToLong(p -> {
                try {
                    BasicFileAttributes attributes = Files.readAttributes(p, BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS);
                    return attributes.isRegularFile() ? attributes.size() : 0;
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path emptyDir) {
        try {
            Files.deleteIfExists(emptyDir);
        } catch (IOException e) {
            // an empty .prune-* directory; the next prune deletes it
        }
    }

    private static String shortDigest(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) : digest;
    }

    private static String reason(Throwable e) {
        StringBuilder text = new StringBuilder(e instanceof GuestException ? e.getMessage() : e.toString());
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text.append(": ").append(cause);
        }
        return text.toString();
    }
}
