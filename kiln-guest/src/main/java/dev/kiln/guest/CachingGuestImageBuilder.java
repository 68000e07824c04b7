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
import java.util.function.Function;
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
        ResolvedKernel kernel;
        Path busybox;
        try {
            kernel = locator.resolve(options);
            busybox = Busybox.checked(options.busybox());
            options.agent().ifPresent(AgentStager::check);
        } catch (GuestException missing) {
            if (!isMissingHostInput(missing, options)) {
                throw missing;
            }
            return ensureWithoutHostInputs(options, offers, missing, progress);
        }
        List<GuestLayout.GuestFileContent> files = GuestLayout.loadFiles();
        Optional<InputDigest.AgentInputs> agent = options.agent()
                .map(a -> new InputDigest.AgentInputs(a, AgentStager.bundledAgent()));
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

    /**
     * Whether {@code e} says that the host lacks an input it would take from its default place (no kernel in
     * {@code /boot}, no modules, no {@code /bin/busybox}, no JDK, runc or ip for the agent): then an image another
     * host built will do. An input the caller named explicitly must exist, so its absence stays an error.
     */
    private static boolean isMissingHostInput(GuestException e, GuestImageOptions options) {
        return switch (e.code()) {
            case KERNEL_NOT_FOUND, MODULES_NOT_FOUND -> options.kernel().isEmpty() && options.modulesDir().isEmpty();
            case BUSYBOX_NOT_FOUND -> options.busybox().equals(GuestImageOptions.DEFAULT_BUSYBOX);
            case TOOL_MISSING -> options.agent().map(a -> a.equals(GuestAgentOptions.defaults())).orElse(false);
            default -> false;
        };
    }

    /**
     * For a host that cannot build an image ({@code missing} says what it lacks): uses an image in the cache, else
     * pulls one from {@code offers}, that this kiln can run, which is one whose {@code inputs.txt} has this kiln's own
     * lines ({@link InputDigest#kilnOwnLines}: format, guest files, agent) whatever kernel, busybox, JDK and runc the
     * host that built it had. An image of an offer comes first, in offer order; then the cached one used last.
     *
     * @throws GuestException {@code missing}'s code, with its message, when no image is cached or offered whole
     */
    private GuestImage ensureWithoutHostInputs(GuestImageOptions options, List<GuestImageOffer> offers,
                                               GuestException missing, ProgressListener progress) {
        List<String> own = InputDigest.kilnOwnLines(GuestLayout.loadFiles(),
                options.agent().map(a -> AgentStager.bundledAgent()));
        Optional<GuestImage> cached = runnableCached(offers, own, options);
        if (cached.isPresent()) {
            pruner.markUsed(cached.get().directory(), progress);
            progress.step("Using guest image " + cached.get().digest().substring(0, 12) + " from the cache (kernel "
                    + cached.get().kernelVersion() + "), built by another host: this host cannot build one ("
                    + missing.getMessage() + ")");
            pruneUnlessLocked(cached.get().digest(), progress);
            return cached.get();
        }
        if (offers.isEmpty()) {
            throw missing;
        }
        progress.step("This host cannot build a guest image (" + missing.getMessage() + "); taking another host's");
        createDirectories(guestDir);
        try (CacheLock _ = CacheLock.acquire(lockFile())) {
            Optional<GuestImage> meanwhile = runnableCached(offers, own, options);
            if (meanwhile.isPresent()) {
                pruner.markUsed(meanwhile.get().directory(), progress);
                return meanwhile.get();
            }
            sweepStaleBuilds();
            for (GuestImageOffer offer : offers) {
                if (!GuestImageListing.isDigest(offer.digest())) {
                    continue;
                }
                Path dir = guestDir.resolve(offer.digest());
                pruner.prune(offer.digest(), progress);
                if (pulled(dir, offer, theirs -> runnableProblem(theirs, offer.digest(), own), progress)) {
                    pruner.markUsed(dir, progress);
                    return image(dir, offer.digest(), options.agent().isPresent());
                }
            }
        }
        throw new GuestException(missing.code(), missing.getMessage() + "; and no other host gave a guest image this "
                + "kiln can run (see the messages above)", missing.hint());
    }

    /** A complete cached image this kiln can run: an offered one first, in offer order, then the one used last. */
    private Optional<GuestImage> runnableCached(List<GuestImageOffer> offers, List<String> own,
                                                GuestImageOptions options) {
        List<Path> candidates = new java.util.ArrayList<>();
        offers.stream().map(GuestImageOffer::digest).filter(GuestImageListing::isDigest).map(guestDir::resolve)
                .forEach(candidates::add);
        if (Files.isDirectory(guestDir)) {
            try (Stream<Path> entries = Files.list(guestDir)) {
                entries.filter(p -> GuestImageListing.isDigest(p.getFileName().toString()))
                        .sorted(Comparator.comparing(CachingGuestImageBuilder::lastUsed).reversed())
                        .forEach(candidates::add);
            } catch (IOException e) {
                throw new GuestException(GuestError.CACHE_FAILED, "cannot list " + guestDir, e);
            }
        }
        for (Path dir : candidates) {
            String digest = dir.getFileName().toString();
            if (isComplete(dir) && readInputs(dir).filter(t -> runnableProblem(t, digest, own).isEmpty()).isPresent()) {
                return Optional.of(image(dir, digest, options.agent().isPresent()));
            }
        }
        return Optional.empty();
    }

    /** Why an image with {@code inputs.txt} {@code theirs} cannot be image {@code digest} for this kiln; empty if it can. */
    private static Optional<String> runnableProblem(String theirs, String digest, List<String> own) {
        if (!FileHashMemo.sha256(theirs.getBytes(StandardCharsets.UTF_8)).equals(digest)) {
            return Optional.of("its inputs.txt does not hash to its digest");
        }
        if (!InputDigest.kilnOwnLines(theirs).equals(own)) {
            return Optional.of("it was built by a kiln with other guest files or another agent (its inputs.txt "
                    + "differs from this kiln's in a format, file, agent, jre-modules or jvm-options line)");
        }
        return Optional.empty();
    }

    private static Optional<String> readInputs(Path dir) {
        try {
            return Optional.of(Files.readString(dir.resolve(INPUTS_FILE), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static java.nio.file.attribute.FileTime lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir.resolve(GuestImagePruner.LAST_USED_FILE));
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
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
            // the digest is the sha256 of inputs.txt, so equal inputs are the same image
            if (offer.digest().equals(inputs.digest()) && pulled(dir, offer, theirs -> theirs.equals(inputs.listing())
                    ? Optional.empty() : Optional.of("its inputs.txt differs from this host's inputs"), progress)) {
                return true;
            }
        }
        return false;
    }

    /** Pulls image {@code offer.digest()} into {@code dir}; false when it failed (reported on {@code progress}). */
    private boolean pulled(Path dir, GuestImageOffer offer, Function<String, Optional<String>> inputsProblem,
                           ProgressListener progress) {
        String shortDigest = offer.digest().substring(0, 12);
        try {
            pull(dir, offer, inputsProblem, progress);
            pulls.incrementAndGet();
            return true;
        } catch (IOException | GuestException e) {
            progress.step("Could not pull guest image " + shortDigest + " from " + offer.from() + ": "
                    + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(GuestError.BUILD_FAILED, "interrupted while pulling guest image "
                    + shortDigest + " from " + offer.from());
        }
    }

    /**
     * Copies the image from {@code offer} into a {@code .build-*} directory, checks every file against the listing
     * and its {@code inputs.txt} with {@code inputsProblem}, and renames it into place like a build.
     */
    private void pull(Path dir, GuestImageOffer offer, Function<String, Optional<String>> inputsProblem,
                      ProgressListener progress) throws IOException, InterruptedException {
        Instant start = host.clock().instant();
        String digest = offer.digest();
        Path work = Files.createTempDirectory(guestDir, BUILD_PREFIX + digest.substring(0, 12) + "-pull-");
        try {
            progress.step("Pulling guest image " + digest.substring(0, 12) + " from " + offer.from());
            GuestImageListing listing = offer.source().listing(digest);
            List<String> problems = listing.problems(digest);
            if (!problems.isEmpty()) {
                throw new IOException("its description is unusable: " + String.join("; ", problems));
            }
            long bytes = 0;
            for (GuestImageListing.File file : listing.files()) {
                try (InputStream in = offer.source().open(digest, file.name())) {
                    SparseCopy.copy(in, work.resolve(file.name()), file.size(), file.sha256());
                }
                bytes += file.size();
            }
            Optional<String> problem = inputsProblem.apply(
                    Files.readString(work.resolve(INPUTS_FILE), StandardCharsets.UTF_8));
            if (problem.isPresent()) {
                throw new IOException(problem.get());
            }
            publishable(work);
            publish(work, dir);
            progress.step("Pulled guest image " + digest.substring(0, 12) + " from " + offer.from() + " ("
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

    /** An image whose kernel release is read from its {@code image.json} (one this host did not build). */
    private static GuestImage image(Path dir, String digest, boolean agent) {
        String kernelVersion;
        try {
            kernelVersion = new ObjectMapper().readTree(dir.resolve(MANIFEST_FILE).toFile()).path("kernelVersion")
                    .asText("unknown");
        } catch (IOException e) {
            kernelVersion = "unknown";
        }
        return new GuestImage(digest, dir.resolve(KERNEL_FILE), dir.resolve(INITRD_FILE), dir.resolve(ROOTFS_FILE),
                kernelVersion, agent);
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
