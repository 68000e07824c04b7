package dev.kiln.guest;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Pruning on a fake cache: directories with the files the pruner looks at, and times set by hand. */
class GuestImagePrunerTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final int IMAGE_BYTES = 1_000_000;

    @TempDir
    Path cache;

    Path guestDir;
    final List<String> messages = new ArrayList<>();

    @BeforeEach
    void createGuestDir() throws IOException {
        guestDir = Files.createDirectories(cache.resolve("guest"));
    }

    @Test
    void aGuestImageInUseMarksItselfUsedNow() throws IOException {
        String digest = "e".repeat(64);
        Path dir = Files.createDirectories(guestDir.resolve(digest));
        var image = new GuestImage(digest, dir.resolve("vmlinuz"), dir.resolve("initrd.img"),
                dir.resolve("rootfs.ext4"), "6.1.0", true);
        Instant before = Instant.now().minusSeconds(1);
        image.markUsed();
        Path marker = dir.resolve(GuestImagePruner.LAST_USED_FILE);
        assertThat(Files.getLastModifiedTime(marker).toInstant()).isAfter(before);
        Files.setLastModifiedTime(marker, FileTime.from(before.minus(Duration.ofHours(5))));
        image.markUsed();
        assertThat(Files.getLastModifiedTime(marker).toInstant()).as("marked again").isAfter(before);
    }

    @Test
    void keepsTheCurrentImageTheTwoMostRecentlyUsedOthersAndRemovesTheRest() throws IOException {
        String current = image(1, hoursAgo(48), true);
        String recent = image(2, hoursAgo(3), true);
        String second = image(3, hoursAgo(5), true);
        String old = image(4, hoursAgo(7), true);
        String older = image(5, hoursAgo(30), true);

        GuestImagePruner.Pruned pruned = pruner().prune(current, messages::add);

        assertThat(digestsLeft()).containsExactlyInAnyOrder(current, recent, second);
        assertThat(pruned.removed()).containsExactlyInAnyOrder(old, older);
        assertThat(pruned.bytes()).isEqualTo(2L * IMAGE_BYTES + 2 * "{}".length());
        assertThat(pruned.failed()).isEmpty();
        assertThat(messages).containsExactly("Removed 2 unused guest images (2 MB)");
        assertThat(entriesOf(guestDir)).noneMatch(n -> n.startsWith(GuestImagePruner.TRASH_PREFIX));
    }

    @Test
    void keepsAnImageUsedWithinTheGracePeriodBeyondTheKeptOnes() throws IOException {
        String current = image(1, NOW, true);
        String a = image(2, minutesAgo(10), true);
        String b = image(3, minutesAgo(20), true);
        String justStarted = image(4, minutesAgo(59), true);
        String idle = image(5, minutesAgo(61), true);

        GuestImagePruner.Pruned pruned = pruner().prune(current, messages::add);

        assertThat(digestsLeft()).containsExactlyInAnyOrder(current, a, b, justStarted);
        assertThat(pruned.removed()).containsExactly(idle);
        assertThat(messages).containsExactly("Removed 1 unused guest image (1 MB)");
    }

    @Test
    void anImageWithoutAUseMarkerCountsAsUsedWhenItsManifestWasWritten() throws IOException {
        String current = image(1, NOW, true);
        String marked = image(2, hoursAgo(10), true);
        Files.setLastModifiedTime(guestDir.resolve(marked).resolve(CachingGuestImageBuilder.MANIFEST_FILE),
                FileTime.from(hoursAgo(100))); // built long ago, used 10 hours ago
        String unmarkedNew = image(3, hoursAgo(2), false);
        String unmarkedOld = image(4, hoursAgo(20), false);
        String unmarkedOlder = image(5, hoursAgo(40), false);

        pruner().prune(current, messages::add);

        // by time of use: unmarkedNew (2 h), marked (10 h, its marker), then the two unmarked old ones
        assertThat(digestsLeft()).containsExactlyInAnyOrder(current, unmarkedNew, marked);
        assertThat(digestsLeft()).doesNotContain(unmarkedOld, unmarkedOlder);
    }

    @Test
    void theCurrentImageIsKeptHoweverLongAgoItWasUsedAndEvenWithNothingElseKept() throws IOException {
        String current = image(1, hoursAgo(1000), true);
        image(2, hoursAgo(5), true);

        var pruner = new GuestImagePruner(guestDir, new GuestCacheRetention(0, Duration.ZERO), CLOCK);
        GuestImagePruner.Pruned pruned = pruner.prune(current, messages::add);

        assertThat(digestsLeft()).containsExactly(current);
        assertThat(pruned.removed()).hasSize(1);
    }

    @Test
    void entriesThatAreNotGuestImagesAreNeverTouched() throws IOException {
        String current = image(1, NOW, true);
        List<String> others = List.of(
                ".hashes", ".lock", ".build-0123456789ab-42", "accelerator.json", "python-store",
                digest(10).substring(1), // 63 hex characters
                digest(11).toUpperCase(), // not lowercase
                digest(12) + ".old");
        for (String name : others) {
            Path entry = guestDir.resolve(name);
            if (name.contains(".lock") || name.endsWith(".json")) {
                Files.writeString(entry, "x");
            } else {
                fakeImageFiles(Files.createDirectories(entry), true);
            }
            ageTree(entry, hoursAgo(100));
        }
        Path plainFile = guestDir.resolve(digest(13)); // a digest name, but a file
        Files.writeString(plainFile, "not a directory");
        Path notAnImage = Files.createDirectories(guestDir.resolve(digest(14))); // no image.json
        Files.writeString(notAnImage.resolve(CachingGuestImageBuilder.ROOTFS_FILE), "x");
        Path elsewhere = Files.createDirectories(cache.resolve("elsewhere"));
        fakeImageFiles(elsewhere, true);
        Path link = Files.createSymbolicLink(guestDir.resolve(digest(15)), elsewhere); // a digest name, a link
        for (Path p : List.of(plainFile, notAnImage, elsewhere)) {
            ageTree(p, hoursAgo(100));
        }
        List<String> before = entriesOf(guestDir);

        GuestImagePruner.Pruned pruned = new GuestImagePruner(guestDir, new GuestCacheRetention(0, Duration.ZERO), CLOCK)
                .prune(current, messages::add);

        assertThat(pruned.removed()).isEmpty();
        assertThat(messages).isEmpty();
        assertThat(entriesOf(guestDir)).containsExactlyInAnyOrderElementsOf(before);
        assertThat(entriesOf(elsewhere)).contains(CachingGuestImageBuilder.MANIFEST_FILE, CachingGuestImageBuilder.ROOTFS_FILE);
        assertThat(link).isSymbolicLink();
        assertThat(entriesOf(guestDir.resolve(".build-0123456789ab-42"))).contains(CachingGuestImageBuilder.ROOTFS_FILE);
    }

    @Test
    void anImageThatCannotBeDeletedIsReportedAndTheOthersAreStillRemoved() throws IOException {
        String current = image(1, NOW, true);
        String stuck = image(2, hoursAgo(10), true);
        String removable = image(3, hoursAgo(11), true);
        var failing = new GuestImagePruner(guestDir, new GuestCacheRetention(0, Duration.ofHours(1)), CLOCK, root -> {
            if (Files.exists(root.resolve("image").resolve(stuck))) {
                throw new GuestException(GuestError.CACHE_FAILED, "cannot delete " + root);
            }
            CachingGuestImageBuilder.deleteTree(root);
        });
        Files.createDirectories(guestDir.resolve(stuck).resolve(stuck)); // how the fake deleter knows it

        GuestImagePruner.Pruned pruned = failing.prune(current, messages::add);

        assertThat(pruned.removed()).containsExactly(removable);
        assertThat(pruned.failed()).containsExactly(stuck);
        assertThat(messages).hasSize(2);
        assertThat(messages.getFirst()).startsWith("Could not finish removing unused guest image " + stuck.substring(0, 12))
                .contains("deleted again on the next prune");
        assertThat(messages.getLast()).isEqualTo("Removed 1 unused guest image (1 MB)");
        // the stuck image is out of the cache, so nobody takes it for a valid one
        assertThat(digestsLeft()).containsExactly(current);
        assertThat(entriesOf(guestDir)).anyMatch(n -> n.startsWith(GuestImagePruner.TRASH_PREFIX + stuck.substring(0, 12)));

        // The next prune, whose deletes work, removes what was left.
        messages.clear();
        pruner().prune(current, messages::add);

        assertThat(entriesOf(guestDir)).noneMatch(n -> n.startsWith(GuestImagePruner.TRASH_PREFIX));
        assertThat(messages).isEmpty();
    }

    @Test
    void markUsedSetsTheMarkerToNowAndDoesNothingForAnImageNotYetBuilt() throws IOException {
        String digest = image(1, hoursAgo(10), true);
        Path dir = guestDir.resolve(digest);

        pruner().markUsed(dir, messages::add);
        pruner().markUsed(guestDir.resolve(digest(2)), messages::add);

        assertThat(Files.getLastModifiedTime(dir.resolve(GuestImagePruner.LAST_USED_FILE)).toInstant()).isEqualTo(NOW);
        assertThat(guestDir.resolve(digest(2))).doesNotExist();
        assertThat(messages).isEmpty();
    }

    @Test
    void theFirstMarkOfAnOldImageCreatesTheMarker() throws IOException {
        String digest = image(1, hoursAgo(10), false);

        pruner().markUsed(guestDir.resolve(digest), messages::add);

        assertThat(Files.getLastModifiedTime(guestDir.resolve(digest).resolve(GuestImagePruner.LAST_USED_FILE)).toInstant())
                .isEqualTo(NOW);
    }

    @Test
    void planBreaksTiesByDigestAndKeepsImagesUsedInTheFuture() {
        Instant sameTime = hoursAgo(5);
        var a = new GuestImagePruner.Image("a", guestDir.resolve("a"), sameTime);
        var b = new GuestImagePruner.Image("b", guestDir.resolve("b"), sameTime);
        var c = new GuestImagePruner.Image("c", guestDir.resolve("c"), sameTime);
        var skewed = new GuestImagePruner.Image("d", guestDir.resolve("d"), NOW.plus(Duration.ofHours(3)));

        List<GuestImagePruner.Image> plan = GuestImagePruner.plan(List.of(c, skewed, b, a), "none",
                new GuestCacheRetention(0, Duration.ofHours(1)), NOW);

        assertThat(plan).containsExactly(a, b, c);
        assertThat(GuestImagePruner.plan(List.of(c, b, a), "none", new GuestCacheRetention(1, Duration.ofHours(1)), NOW))
                .containsExactly(b, c);
    }

    private GuestImagePruner pruner() {
        return new GuestImagePruner(guestDir, GuestCacheRetention.defaults(), CLOCK);
    }

    /** A fake image directory used at {@code lastUsed}, with a use marker or (as an older kiln left it) without. */
    private String image(int n, Instant lastUsed, boolean marker) throws IOException {
        String digest = digest(n);
        Path dir = Files.createDirectories(guestDir.resolve(digest));
        fakeImageFiles(dir, marker);
        ageTree(dir, lastUsed);
        return digest;
    }

    private static void fakeImageFiles(Path dir, boolean marker) throws IOException {
        Files.writeString(dir.resolve(CachingGuestImageBuilder.MANIFEST_FILE), "{}");
        Files.writeString(dir.resolve(CachingGuestImageBuilder.KERNEL_FILE), "kernel");
        Files.writeString(dir.resolve(CachingGuestImageBuilder.INITRD_FILE), "initrd");
        Files.write(dir.resolve(CachingGuestImageBuilder.ROOTFS_FILE),
                new byte[IMAGE_BYTES - "kernel".length() - "initrd".length()]);
        if (marker) {
            Files.createFile(dir.resolve(GuestImagePruner.LAST_USED_FILE));
        }
    }

    /** Sets the mtime of {@code root} and everything under it. */
    private static void ageTree(Path root, Instant time) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.toList()) {
                Files.setLastModifiedTime(p, FileTime.from(time));
            }
        }
    }

    private List<String> digestsLeft() throws IOException {
        return entriesOf(guestDir).stream().filter(n -> n.matches("[0-9a-f]{64}")).toList();
    }

    private static List<String> entriesOf(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String digest(int n) {
        return HexFormat.of().formatHex(FileHashMemo.newDigest().digest(new byte[]{(byte) n}));
    }

    private static Instant hoursAgo(long hours) {
        return NOW.minus(Duration.ofHours(hours));
    }

    private static Instant minutesAgo(long minutes) {
        return NOW.minus(Duration.ofMinutes(minutes));
    }
}
