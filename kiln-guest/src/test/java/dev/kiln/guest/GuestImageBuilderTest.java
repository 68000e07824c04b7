package dev.kiln.guest;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Builds a real image from the host's kernel, modules and busybox. */
class GuestImageBuilderTest {
    @TempDir
    static Path cache;

    static CachingGuestImageBuilder builder;
    static GuestImage image;
    static Duration coldBuild;

    @BeforeAll
    static void build() {
        HostKernel.assumeAvailable();
        builder = new CachingGuestImageBuilder(cache, HostLayout.system());
        long start = System.nanoTime();
        image = builder.ensure(GuestImageOptions.defaults(), ProgressListener.silent());
        coldBuild = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("cold build took " + coldBuild.toMillis() + " ms: " + image);
    }

    @Test
    void theRootFilesystemHoldsTheAgentItsRuntimeAotCacheAndRunc() {
        String agentDir = run("debugfs", "-R", "ls -l " + GuestProtocol.AGENT_DIR, image.rootfs().toString());
        assertThat(agentDir).contains(GuestProtocol.AGENT_JAR_NAME, GuestProtocol.AGENT_AOT_NAME,
                GuestProtocol.AGENT_JVM_OPTIONS_NAME);
        assertThat(run("debugfs", "-R", "stat " + GuestProtocol.RUNC, image.rootfs().toString())).contains("Type: regular");
        assertThat(run("debugfs", "-R", "stat " + GuestProtocol.AGENT_JRE + "/bin/java", image.rootfs().toString()))
                .contains("Type: regular");
        // the runtime's and runc's shared libraries, at their host paths
        assertThat(run("debugfs", "-R", "ls /lib/x86_64-linux-gnu", image.rootfs().toString()))
                .contains("libc.so.6", "libseccomp.so.2");
    }

    @Test
    void imageLivesInTheCacheUnderItsDigest() {
        assertThat(image.digest()).matches("[0-9a-f]{64}");
        assertThat(image.directory()).isEqualTo(cache.toAbsolutePath().resolve("guest").resolve(image.digest()));
        assertThat(image.kernel()).isRegularFile();
        assertThat(image.initrd()).isRegularFile();
        assertThat(image.rootfs()).isRegularFile();
        assertThat(image.kernelVersion()).matches("\\d+\\.\\d+.*");
        assertThat(image.rootfs().toFile().length()).as("rootfs size").isGreaterThanOrEqualTo(GuestLayout.MIN_ROOTFS_BYTES);
        assertThat(image.agent()).isTrue();
        assertThat(image.directory().toFile().canRead()).isTrue();
        assertThat(run("stat", "-c", "%a", image.directory().toString(), image.kernel().toString()))
                .isEqualTo("755\n644\n");
        assertThat(image.directory().resolve("inputs.txt")).content().contains("kernel ", "module ", "busybox ");
        assertThat(image.directory().resolve(GuestImagePruner.LAST_USED_FILE)).isRegularFile();
        assertThat(builder.buildCount()).isEqualTo(1);
    }

    @Test
    void initramfsHoldsInitBusyboxAndModulesInDependencyOrder() throws IOException {
        Map<String, CpioArchiveEntry> entries = new LinkedHashMap<>();
        String init = null;
        String order = null;
        try (var cpio = new CpioArchiveInputStream(new GZIPInputStream(Files.newInputStream(image.initrd())))) {
            CpioArchiveEntry entry;
            while ((entry = cpio.getNextEntry()) != null) {
                entries.put(entry.getName(), entry);
                if (entry.getName().equals("init")) {
                    init = new String(cpio.readAllBytes(), StandardCharsets.UTF_8);
                } else if (entry.getName().equals("lib/modules/kiln.order")) {
                    order = new String(cpio.readAllBytes(), StandardCharsets.US_ASCII);
                }
            }
        }

        assertThat(entries).containsKeys("init", "bin/busybox", "dev/console", "newroot", "proc", "sys");
        assertThat(entries.get("init").getMode() & 0777).isEqualTo(0755);
        assertThat(init).startsWith("#!/bin/busybox sh").contains("switch_root /newroot /sbin/kiln-init");
        assertThat(entries.get("bin/busybox").getSize()).isEqualTo(Files.size(GuestImageOptions.DEFAULT_BUSYBOX));
        CpioArchiveEntry console = entries.get("dev/console");
        assertThat(console.isCharacterDevice()).isTrue();
        assertThat(console.getRemoteDeviceMaj()).isEqualTo(5);
        assertThat(console.getRemoteDeviceMin()).isEqualTo(1);

        List<String> modules = entries.keySet().stream()
                .filter(n -> n.startsWith("lib/modules/") && n.endsWith(".ko"))
                .map(n -> n.substring("lib/modules/".length(), n.length() - 3)).toList();
        assertThat(order).isNotNull();
        assertThat(order.lines().toList()).isEqualTo(modules.stream().map(m -> m + ".ko").toList());
        assertThat(modules).contains("virtio_mmio", "virtio_blk", "virtio_net", "ext4", "crc32c_generic", "button",
                "evdev", "virtio", "virtio_ring", "failover", "net_failover", "crc16", "mbcache", "jbd2");
        assertThat(modules).doesNotHaveDuplicates();
        assertBefore(modules, "virtio_ring", "virtio");
        assertBefore(modules, "virtio", "virtio_mmio");
        assertBefore(modules, "virtio", "virtio_blk");
        assertBefore(modules, "failover", "net_failover");
        assertBefore(modules, "net_failover", "virtio_net");
        assertBefore(modules, "crc16", "ext4");
        assertBefore(modules, "mbcache", "ext4");
        assertBefore(modules, "jbd2", "ext4");
    }

    private static void assertBefore(List<String> order, String first, String then) {
        assertThat(order.indexOf(first)).as(first + " loads before " + then).isLessThan(order.indexOf(then));
    }

    @Test
    void rootfsIsAnExt4ImageWithTheGuestFiles() {
        assertThat(run("e2label", image.rootfs().toString()).strip()).isEqualTo(GuestProtocol.ROOTFS_LABEL);
        assertThat(debugfs("ls -l /sbin")).contains("kiln-init");
        assertThat(debugfs("stat /sbin/kiln-init")).contains("Mode:  0755");
        assertThat(debugfs("ls -l /www/cgi-bin")).contains("health", "exec");
        assertThat(debugfs("stat /etc/acpi/PWRF/00000080")).contains("Mode:  0755");
        assertThat(debugfs("cat /etc/passwd")).startsWith("root:x:0:0:");
        assertThat(debugfs("cat /etc/hostname")).isEqualTo("kiln\n");
        assertThat(debugfs("stat /bin/sh")).contains("Type: symlink").contains("Fast link dest: \"/bin/busybox\"");
        assertThat(debugfs("ls -l /usr/sbin")).contains("httpd");
        assertThat(debugfs("ls -l /sbin")).contains("acpid", "switch_root");
        for (String dir : List.of("/mnt", "/run", "/tmp", "/proc", "/sys", "/dev", "/var")) {
            assertThat(debugfs("stat " + dir)).as(dir).contains("Type: directory");
        }
        assertThat(exec("e2fsck", "-fn", image.rootfs().toString()).exitCode()).as("e2fsck finds no errors").isZero();
    }

    @Test
    void warmEnsureReusesTheImageWithoutRebuilding() throws IOException {
        FileTime before = Files.getLastModifiedTime(image.rootfs());
        var messages = new CopyOnWriteArrayList<String>();

        long start = System.nanoTime();
        GuestImage again = builder.ensure(GuestImageOptions.defaults(), messages::add);
        Duration warm = Duration.ofNanos(System.nanoTime() - start);

        // A new builder (a new process, say) finds the hashes it needs in the on-disk memo.
        var fresh = new CachingGuestImageBuilder(cache, HostLayout.system());
        long freshStart = System.nanoTime();
        GuestImage third = fresh.ensure(GuestImageOptions.defaults(), ProgressListener.silent());
        Duration freshWarm = Duration.ofNanos(System.nanoTime() - freshStart);
        System.out.println("warm ensure took " + warm.toMillis() + " ms, with a new builder " + freshWarm.toMillis()
                + " ms (cold build " + coldBuild.toMillis() + " ms)");

        assertThat(again).isEqualTo(image);
        assertThat(third).isEqualTo(image);
        assertThat(builder.buildCount()).isEqualTo(1);
        assertThat(fresh.buildCount()).isZero();
        assertThat(Files.getLastModifiedTime(image.rootfs())).isEqualTo(before);
        assertThat(messages).singleElement().asString().startsWith("Using cached guest image");
        assertThat(warm).isLessThan(Duration.ofMillis(500));
    }

    /** Another host's cache, read directly (the daemon reads it over HTTP: HttpGuestImageSource). */
    private static class CacheSource implements GuestImageSource {
        private final Path cacheDir;

        CacheSource(Path cacheDir) {
            this.cacheDir = cacheDir;
        }

        @Override
        public GuestImageListing listing(String digest) {
            return GuestImageListing.read(cacheDir, digest);
        }

        @Override
        public java.io.InputStream open(String digest, String file) throws IOException {
            return Files.newInputStream(cacheDir.resolve("guest").resolve(digest).resolve(file));
        }
    }

    @Test
    void aColdCachePullsTheSameImageFromAnOfferInsteadOfBuildingAndRefusesBadOffers(@TempDir Path other)
            throws Exception {
        String digest = image.digest();
        GuestImageSource good = new CacheSource(cache);
        GuestImageSource never = new GuestImageSource() {
            @Override
            public GuestImageListing listing(String d) {
                throw new AssertionError("an offer of another digest was asked");
            }

            @Override
            public java.io.InputStream open(String d, String f) {
                throw new AssertionError("an offer of another digest was asked");
            }
        };
        GuestImageSource corrupt = new CacheSource(cache) {
            @Override
            public java.io.InputStream open(String d, String file) throws IOException {
                byte[] bytes = super.open(d, file).readAllBytes();
                if (file.equals("initrd.img")) {
                    bytes[bytes.length / 2] ^= 1;
                }
                return new java.io.ByteArrayInputStream(bytes);
            }
        };
        GuestImageSource truncated = new CacheSource(cache) {
            @Override
            public java.io.InputStream open(String d, String file) throws IOException {
                byte[] bytes = super.open(d, file).readAllBytes();
                return new java.io.ByteArrayInputStream(bytes, 0, file.equals("vmlinuz") ? bytes.length - 1 : bytes.length);
            }
        };
        GuestImageSource otherFormat = new CacheSource(cache) {
            @Override
            public GuestImageListing listing(String d) {
                GuestImageListing l = super.listing(d);
                return new GuestImageListing(l.digest(), l.formatVersion() + 1, l.kernelVersion(), l.agent(), l.files());
            }
        };
        var messages = new CopyOnWriteArrayList<String>();
        var puller = new CachingGuestImageBuilder(other, HostLayout.system());

        long start = System.nanoTime();
        GuestImage pulled = puller.ensure(GuestImageOptions.defaults(), List.of(
                new GuestImageOffer("h0", "0".repeat(64), never),
                new GuestImageOffer("h1", digest, corrupt),
                new GuestImageOffer("h2", digest, truncated),
                new GuestImageOffer("h3", digest, otherFormat),
                new GuestImageOffer("h4", digest, good)), messages::add);
        System.out.println("pull took " + (System.nanoTime() - start) / 1_000_000 + " ms (cold build "
                + coldBuild.toMillis() + " ms)");

        assertThat(puller.pullCount()).isEqualTo(1);
        assertThat(puller.buildCount()).isZero();
        assertThat(pulled.digest()).isEqualTo(digest);
        assertThat(pulled.kernelVersion()).isEqualTo(image.kernelVersion());
        assertThat(pulled.directory()).isEqualTo(other.toAbsolutePath().resolve("guest").resolve(digest));
        for (String file : GuestImageListing.FILES) {
            assertThat(Files.mismatch(pulled.directory().resolve(file), image.directory().resolve(file)))
                    .as(file).isEqualTo(-1L);
        }
        // holes stay holes: the copy takes no more disk blocks than the original (plus a little slack)
        long blocksThere = Long.parseLong(run("stat", "-c", "%b", image.rootfs().toString()).trim());
        long blocksHere = Long.parseLong(run("stat", "-c", "%b", pulled.rootfs().toString()).trim());
        assertThat(blocksHere).isLessThanOrEqualTo(blocksThere + 1024);
        assertThat(pulled.directory().resolve(GuestImagePruner.LAST_USED_FILE)).isRegularFile();
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("Could not pull guest image")
                .contains("from h1", "initrd.img arrived with sha256"));
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("from h2", "vmlinuz ended after"));
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("from h3", "its format is"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("Pulled guest image").contains("from h4"));
        try (Stream<Path> left = Files.list(other.resolve("guest"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".build-"));
        }
        // and the next ensure finds it cached
        assertThat(puller.ensure(GuestImageOptions.defaults(), List.of(), ProgressListener.silent()))
                .isEqualTo(pulled);
        assertThat(puller.buildCount()).isZero();
    }

    /** Serves the cached image under another digest, with its inputs.txt's agent line changed: another kiln's. */
    private static final class OtherKilnsImage extends CacheSource {
        final byte[] inputs;
        final String digest;

        OtherKilnsImage(Path cacheDir, String realDigest) throws IOException {
            super(cacheDir);
            String listing = Files.readString(cacheDir.resolve("guest").resolve(realDigest).resolve("inputs.txt"));
            inputs = listing.replaceFirst("(?m)^agent [0-9a-f]{64}$", "agent " + "a".repeat(64))
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(new String(inputs, StandardCharsets.UTF_8)).isNotEqualTo(listing);
            digest = FileHashMemo.sha256(inputs);
        }

        @Override
        public GuestImageListing listing(String d) {
            GuestImageListing real = super.listing(image.digest());
            return new GuestImageListing(digest, real.formatVersion(), real.kernelVersion(), real.agent(),
                    real.files().stream().map(f -> f.name().equals("inputs.txt")
                            ? new GuestImageListing.File(f.name(), inputs.length, FileHashMemo.sha256(inputs)) : f)
                            .toList());
        }

        @Override
        public java.io.InputStream open(String d, String file) throws IOException {
            return file.equals("inputs.txt") ? new java.io.ByteArrayInputStream(inputs)
                    : super.open(image.digest(), file);
        }
    }

    @Test
    void aHostWithoutAKernelTakesAnImageThisKilnCanRunFromAnotherHostAndOtherwiseSaysWhatIsMissing(
            @TempDir Path other, @TempDir Path emptyBoot) throws Exception {
        HostLayout system = HostLayout.system();
        var noKernel = new CachingGuestImageBuilder(other, new HostLayout(emptyBoot, emptyBoot, system.toolPath(),
                system.toolTimeout(), system.clock()));
        GuestImageOptions defaults = GuestImageOptions.defaults();

        // nothing offered: the same clear error as before
        assertThatThrownBy(() -> noKernel.ensure(defaults, List.of(), ProgressListener.silent()))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.KERNEL_NOT_FOUND);
                    assertThat(e.getMessage()).contains("no kernel found in " + emptyBoot);
                });
        // a kernel named explicitly must exist, offers or not
        GuestImageOffer good = new GuestImageOffer("h2", image.digest(), new CacheSource(cache));
        assertThatThrownBy(() -> noKernel.ensure(defaults.withKernel(emptyBoot.resolve("vmlinuz-9")), List.of(good),
                ProgressListener.silent())).isInstanceOfSatisfying(GuestException.class,
                e -> assertThat(e.getMessage()).contains("kernel " + emptyBoot.resolve("vmlinuz-9") + " does not exist"));
        // only another kiln's image offered (another agent): refused, and the error says why
        var otherKiln = new OtherKilnsImage(cache, image.digest());
        var messages = new CopyOnWriteArrayList<String>();
        assertThatThrownBy(() -> noKernel.ensure(defaults, List.of(new GuestImageOffer("h1", otherKiln.digest,
                otherKiln)), messages::add)).isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.KERNEL_NOT_FOUND);
                    assertThat(e.getMessage()).contains("no other host gave a guest image this kiln can run");
                });
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("from h1", "built by a kiln with other guest files"));
        assertThat(other.resolve("guest").resolve(otherKiln.digest)).doesNotExist();

        // this kiln's image from a host with a kernel: pulled, the other kiln's passed over
        messages.clear();
        GuestImage pulled = noKernel.ensure(defaults, List.of(new GuestImageOffer("h1", otherKiln.digest, otherKiln),
                good), messages::add);
        assertThat(noKernel.buildCount()).isZero();
        assertThat(noKernel.pullCount()).isEqualTo(1);
        assertThat(pulled.digest()).isEqualTo(image.digest());
        assertThat(pulled.kernelVersion()).isEqualTo(image.kernelVersion());
        assertThat(pulled.agent()).isTrue();
        for (String file : GuestImageListing.FILES) {
            assertThat(Files.mismatch(pulled.directory().resolve(file), image.directory().resolve(file)))
                    .as(file).isEqualTo(-1L);
        }
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("This host cannot build a guest image")
                .contains("no kernel found"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("Pulled guest image").contains("from h2"));
        try (Stream<Path> left = Files.list(other.resolve("guest"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".build-"));
        }

        // and with no other host left, the cached one is used (a daemon restarted alone)
        messages.clear();
        assertThat(noKernel.ensure(defaults, List.of(), messages::add)).isEqualTo(pulled);
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("Using guest image").contains("from the cache"));
        assertThat(noKernel.pullCount()).isEqualTo(1);
    }

    @Test
    void warmEnsureRecordsTheUseAndRemovesImagesUnusedForLong() throws IOException {
        Path guestDir = cache.toAbsolutePath().resolve("guest");
        Instant start = Instant.now();
        FileTime longAgo = FileTime.from(start.minus(Duration.ofDays(2)));
        List<Path> old = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path dir = Files.createDirectories(guestDir.resolve(FileHashMemo.sha256(new byte[]{(byte) i})));
            Files.writeString(dir.resolve(CachingGuestImageBuilder.MANIFEST_FILE), "{}");
            Files.write(dir.resolve(CachingGuestImageBuilder.ROOTFS_FILE), new byte[1000]);
            Files.setLastModifiedTime(dir.resolve(CachingGuestImageBuilder.MANIFEST_FILE), longAgo);
            old.add(dir);
        }
        var messages = new CopyOnWriteArrayList<String>();
        var fresh = new CachingGuestImageBuilder(cache, HostLayout.system(),
                new GuestCacheRetention(0, Duration.ofHours(1)));

        GuestImage again = fresh.ensure(GuestImageOptions.defaults(), messages::add);

        assertThat(again).isEqualTo(image);
        assertThat(old).allSatisfy(dir -> assertThat(dir).doesNotExist());
        assertThat(image.rootfs()).isRegularFile();
        assertThat(messages).last().isEqualTo("Removed 3 unused guest images (0 MB)");
        assertThat(Files.getLastModifiedTime(image.directory().resolve(GuestImagePruner.LAST_USED_FILE)).toInstant())
                .isAfterOrEqualTo(start.truncatedTo(ChronoUnit.SECONDS));
    }

    @Test
    void changedInputGivesANewImageBuiltOnceByConcurrentBuilders(@TempDir Path work) throws Exception {
        Path busybox = work.resolve("busybox");
        Files.copy(GuestImageOptions.DEFAULT_BUSYBOX, busybox, StandardCopyOption.COPY_ATTRIBUTES);
        Files.write(busybox, new byte[]{0}, StandardOpenOption.APPEND);
        GuestImageOptions options = GuestImageOptions.defaults().withBusybox(busybox);
        var a = new CachingGuestImageBuilder(cache, HostLayout.system());
        var b = new CachingGuestImageBuilder(cache, HostLayout.system());

        List<GuestImage> images = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<GuestImage>> futures = new ArrayList<>();
            for (var builder : List.of(a, b, a, b)) {
                futures.add(pool.submit(() -> builder.ensure(options, ProgressListener.silent())));
            }
            for (var future : futures) {
                images.add(future.get());
            }
        }

        assertThat(images).allSatisfy(i -> assertThat(i).isEqualTo(images.getFirst()));
        assertThat(images.getFirst().digest()).isNotEqualTo(image.digest());
        assertThat(a.buildCount() + b.buildCount()).isEqualTo(1);
        try (Stream<Path> left = Files.list(cache.resolve("guest"))) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith(".build-"))
                    .contains(image.digest(), images.getFirst().digest());
        }
    }

    @Test
    void missingUserKernelFailsAndLeavesNothingInTheCache(@TempDir Path emptyCache) throws IOException {
        var fresh = new CachingGuestImageBuilder(emptyCache, HostLayout.system());

        assertThatThrownBy(() -> fresh.ensure(GuestImageOptions.defaults().withKernel(emptyCache.resolve("no-such-vmlinuz")),
                ProgressListener.silent()))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.KERNEL_NOT_FOUND);
                    assertThat(e.getMessage()).contains("no-such-vmlinuz");
                    assertThat(e.hint()).isNotBlank();
                });
        try (Stream<Path> left = Files.list(emptyCache)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void dynamicallyLinkedBusyboxIsRefused(@TempDir Path emptyCache) throws IOException {
        var fresh = new CachingGuestImageBuilder(emptyCache, HostLayout.system());

        assertThatThrownBy(() -> fresh.ensure(GuestImageOptions.defaults().withBusybox(Path.of("/bin/ls")),
                ProgressListener.silent()))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.BUSYBOX_NOT_FOUND);
                    assertThat(e.getMessage()).contains("dynamically linked");
                    assertThat(e.hint()).contains("busybox-static");
                });
        try (Stream<Path> left = Files.list(emptyCache)) {
            assertThat(left).isEmpty();
        }
    }

    private static String debugfs(String request) {
        return run("debugfs", "-R", request, image.rootfs().toString());
    }

    static String run(String... command) {
        return exec(command).output();
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a host tool; stdout only, stderr discarded. */
    static Result exec(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.waitFor(), out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
