package dev.kiln.guest;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Builds guest images into {@code <cacheDir>/guest/<digest>/}. A warm call only stats the inputs (their hashes
 * are memoized) and checks that the directory exists. A cold call takes the cache lock, builds into
 * {@code .build-*} and renames that into place, so readers never see a half-built image. Every call records the
 * image's use and then, under the lock, removes images the {@link GuestCacheRetention} does not keep (a warm call
 * skips that when another process holds the lock: that one prunes when it is done).
 */
final class CachingGuestImageBuilder implements GuestImageBuilder {
    static final String KERNEL_FILE = "vmlinuz";
    static final String INITRD_FILE = "initrd.img";
    static final String ROOTFS_FILE = "rootfs.ext4";
    static final String INPUTS_FILE = "inputs.txt";
    static final String MANIFEST_FILE = "image.json";
    private static final String BUILD_PREFIX = ".build-";

    /** What {@code image.json} records about a build, for people and tools inspecting the cache. */
    record Manifest(int formatVersion, String digest, String kernelVersion, String kernel, String modulesDir,
                    List<String> modules, String busybox, boolean agent, String builtAt, long buildMillis) {
    }

    private final Path guestDir;
    private final HostLayout host;
    private final KernelLocator locator;
    private final Tools tools;
    private final FileHashMemo memo;
    private final GuestImagePruner pruner;
    private final AtomicInteger builds = new AtomicInteger();
    private final AtomicInteger pulls = new AtomicInteger();

    CachingGuestImageBuilder(Path cacheDir, HostLayout host) {
        this(cacheDir, host, GuestCacheRetention.defaults());
    }

    CachingGuestImageBuilder(Path cacheDir, HostLayout host, GuestCacheRetention retention) {
        this.guestDir = Objects.requireNonNull(cacheDir, "cacheDir").toAbsolutePath().resolve("guest");
        this.host = Objects.requireNonNull(host, "host");
        this.locator = new KernelLocator(host);
        this.tools = new Tools(host);
        this.memo = new FileHashMemo(guestDir.resolve(".hashes"));
        this.pruner = new GuestImagePruner(guestDir, retention, host.clock());
    }

    @Override
    public GuestImage ensure(GuestImageOptions options, ProgressListener progress) {
        return ensure(options, List.of(), progress);
    }

    @Override
    public GuestImage ensure(GuestImageOptions options, List<GuestImageOffer> offers, ProgressListener progress) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(offers, "offers");
        Objects.requireNonNull(progress, "progress");
        ResolvedKernel kernel = locator.resolve(options);
        Path busybox = Busybox.checked(options.busybox());
        List<GuestLayout.GuestFileContent> files = GuestLayout.loadFiles();
        Optional<InputDigest.AgentInputs> agent = options.agent().map(a -> {
            AgentStager.check(a);
            return new InputDigest.AgentInputs(a, AgentStager.bundledAgent());
        });
        InputDigest inputs = InputDigest.of(kernel, busybox, files, agent, memo);
        Path dir = guestDir.resolve(inputs.digest());
        // Marked before the check: a prune that runs after the mark sees the image as just used and keeps it.
        pruner.markUsed(dir, progress);
        if (isComplete(dir)) {
            progress.step("Using cached guest image " + shortDigest(inputs) + " (kernel " + kernel.version() + ")");
            pruneUnlessLocked(inputs.digest(), progress);
            return image(dir, inputs, kernel, agent.isPresent());
        }
        createDirectories(guestDir);
        try (CacheLock _ = CacheLock.acquire(lockFile())) {
            if (isComplete(dir)) {
                pruner.markUsed(dir, progress);
                progress.step("Using guest image " + shortDigest(inputs) + ", built meanwhile by another process");
                pruner.prune(inputs.digest(), progress);
                return image(dir, inputs, kernel, agent.isPresent());
            }
            sweepStaleBuilds();
            // Before the build, so that the space of unused images is free for it.
            pruner.prune(inputs.digest(), progress);
            if (!pulled(dir, inputs, offers, progress)) {
                build(dir, inputs, kernel, busybox, files, agent, progress);
            }
            pruner.markUsed(dir, progress);
            return image(dir, inputs, kernel, agent.isPresent());
        }
    }

    /** Prunes if the cache lock is free; a process that holds it builds or prunes, and prunes when done. */
    private void pruneUnlessLocked(String current, ProgressListener progress) {
        Optional<CacheLock> lock;
        try {
            lock = CacheLock.tryAcquire(lockFile());
        } catch (GuestException e) {
            progress.step("Could not prune the guest image cache: " + e.getMessage()
                    + (e.getCause() == null ? "" : ": " + e.getCause()));
            return;
        }
        if (lock.isPresent()) {
            try (CacheLock _ = lock.get()) {
                pruner.prune(current, progress);
            }
        }
    }

    private Path lockFile() {
        return guestDir.resolve(".lock");
    }

    /** How many images this builder has built (not found in the cache); for tests. */
    int buildCount() {
        return builds.get();
    }

    /** How many images this builder has pulled from offers; for tests. */
    int pullCount() {
        return pulls.get();
    }

    private void build(Path dir, InputDigest inputs, ResolvedKernel kernel, Path busybox,
                       List<GuestLayout.GuestFileContent> files, Optional<InputDigest.AgentInputs> agent,
                       ProgressListener progress) {
        Instant start = host.clock().instant();
        Path work;
        try {
            work = Files.createTempDirectory(guestDir, BUILD_PREFIX + inputs.digest().substring(0, 12) + "-");
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot create a build directory in " + guestDir, e);
        }
        try {
            progress.step("Building guest image " + shortDigest(inputs) + " for kernel " + kernel.version()
                    + " with " + kernel.modules().size() + " modules");
            KernelLocator.checkVermagic(kernel.modules(), kernel.version());
            // Debian's /boot/vmlinuz-* is root-only; the cached copy is readable so QEMU may run as another user.
            Files.copy(kernel.kernel(), work.resolve(KERNEL_FILE));
            progress.step("Writing initramfs");
            InitramfsWriter.write(work.resolve(INITRD_FILE), busybox, kernel.modules(), files);
            progress.step("Creating ext4 root filesystem");
            Path staging = work.resolve("staging");
            new RootfsBuilder(tools).build(work.resolve(ROOTFS_FILE), staging, busybox, files, root -> {
                if (agent.isPresent()) {
                    new AgentStager(tools).stage(root, agent.get().options(), agent.get().jar(), progress);
                }
            });
            deleteTree(staging);
            Duration took = Duration.between(start, host.clock().instant());
            writeRecords(work, inputs, kernel, busybox, agent.isPresent(), start, took);
            publishable(work);
            publish(work, dir);
            builds.incrementAndGet();
            progress.step("Built guest image " + shortDigest(inputs) + " in " + took.toMillis() + " ms");
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot build the guest image in " + work, e);
        } finally {
            if (Files.exists(work)) {
                deleteTree(work);
            }
        }
    }

    /**
     * Pulls the image from the first offer of the same digest that delivers it whole; false when none did (each
     * failure is reported on {@code progress}), and then the caller builds it.
     */
    private boolean pulled(Path dir, InputDigest inputs, List<GuestImageOffer> offers, ProgressListener progress) {
        for (GuestImageOffer offer : offers) {
            if (!offer.digest().equals(inputs.digest())) {
                continue;
            }
            try {
                pull(dir, inputs, offer, progress);
                pulls.incrementAndGet();
                return true;
            } catch (IOException | GuestException e) {
                progress.step("Could not pull guest image " + shortDigest(inputs) + " from " + offer.from() + ": "
                        + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuestException(GuestError.BUILD_FAILED, "interrupted while pulling guest image "
                        + shortDigest(inputs) + " from " + offer.from());
            }
        }
        return false;
    }

    /**
     * Copies the image from {@code offer} into a {@code .build-*} directory, checks every file against the listing
     * and the inputs against this host's (the digest is their sha256, so equal inputs are the same image), and
     * renames it into place like a build.
     */
    private void pull(Path dir, InputDigest inputs, GuestImageOffer offer, ProgressListener progress)
            throws IOException, InterruptedException {
        Instant start = host.clock().instant();
        Path work = Files.createTempDirectory(guestDir, BUILD_PREFIX + inputs.digest().substring(0, 12) + "-pull-");
        try {
            progress.step("Pulling guest image " + shortDigest(inputs) + " from " + offer.from());
            GuestImageListing listing = offer.source().listing(inputs.digest());
            List<String> problems = listing.problems(inputs.digest());
            if (!problems.isEmpty()) {
                throw new IOException("its description is unusable: " + String.join("; ", problems));
            }
            long bytes = 0;
            for (GuestImageListing.File file : listing.files()) {
                try (InputStream in = offer.source().open(inputs.digest(), file.name())) {
                    SparseCopy.copy(in, work.resolve(file.name()), file.size(), file.sha256());
                }
                bytes += file.size();
            }
            String theirs = Files.readString(work.resolve(INPUTS_FILE), StandardCharsets.UTF_8);
            if (!theirs.equals(inputs.listing())) {
                throw new IOException("its inputs.txt differs from this host's inputs");
            }
            publishable(work);
            publish(work, dir);
            progress.step("Pulled guest image " + shortDigest(inputs) + " from " + offer.from() + " ("
                    + bytes / 1_000_000 + " MB) in " + Duration.between(start, host.clock().instant()).toMillis()
                    + " ms");
        } finally {
            if (Files.exists(work)) {
                deleteTree(work);
            }
        }
    }

    /** Renames a finished image from {@code work} to {@code dir}, replacing an incomplete one there. */
    private void publish(Path work, Path dir) throws IOException {
        if (Files.exists(dir)) {
            // An incomplete image (someone deleted a file from it): replace it.
            Path aside = Files.createTempDirectory(guestDir, BUILD_PREFIX + "stale-");
            Files.move(dir, aside.resolve("old"), StandardCopyOption.ATOMIC_MOVE);
            deleteTree(aside);
        }
        Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeRecords(Path work, InputDigest inputs, ResolvedKernel kernel, Path busybox,
                                     boolean agent, Instant start, Duration took) throws IOException {
        Files.writeString(work.resolve(INPUTS_FILE), inputs.listing(), StandardCharsets.UTF_8);
        var manifest = new Manifest(GuestLayout.FORMAT_VERSION, inputs.digest(), kernel.version(),
                kernel.kernel().toString(), kernel.modulesDir().toString(),
                kernel.modules().stream().map(KernelModule::name).toList(), busybox.toString(), agent, start.toString(),
                took.toMillis());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(work.resolve(MANIFEST_FILE).toFile(), manifest);
    }

    /** createTempDirectory makes a 0700 directory; the image is no secret, so make it like any other. */
    private static void publishable(Path work) throws IOException {
        Files.setPosixFilePermissions(work, RootfsBuilder.permissions(0755));
        for (String file : List.of(KERNEL_FILE, INITRD_FILE, ROOTFS_FILE, INPUTS_FILE, MANIFEST_FILE)) {
            Files.setPosixFilePermissions(work.resolve(file), RootfsBuilder.permissions(0644));
        }
    }

    private static boolean isComplete(Path dir) {
        return Stream.of(KERNEL_FILE, INITRD_FILE, ROOTFS_FILE).allMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    private static GuestImage image(Path dir, InputDigest inputs, ResolvedKernel kernel, boolean agent) {
        return new GuestImage(inputs.digest(), dir.resolve(KERNEL_FILE), dir.resolve(INITRD_FILE),
                dir.resolve(ROOTFS_FILE), kernel.version(), agent);
    }

    private static String shortDigest(InputDigest inputs) {
        return inputs.digest().substring(0, 12);
    }

    /** Removes build directories of builders that died; only called under the lock, when no build runs. */
    private void sweepStaleBuilds() {
        try (Stream<Path> entries = Files.list(guestDir)) {
            entries.filter(p -> p.getFileName().toString().startsWith(BUILD_PREFIX))
                    .forEach(CachingGuestImageBuilder::deleteTree);
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot list " + guestDir, e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot create " + dir, e);
        }
    }

    /** Deletes a tree without following symbolic links. */
    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot delete " + root, e);
        }
    }
}
