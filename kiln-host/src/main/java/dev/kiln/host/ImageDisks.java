package dev.kiln.host;

import dev.kiln.image.ImageDetails;
import dev.kiln.image.ImageStore;
import dev.kiln.image.LayerInfo;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images unpacked once on the host into read-only ext4 disk files that slot VMs attach, so that a guest mounts its
 * runtime's root instead of pulling and unpacking the image (under TCG that pull costs a minute or more per slot).
 * A disk holds {@code rootfs/} (the layers applied in order, whiteouts honoured), {@code config.json} (the OCI image
 * config) and {@code digest}; it is named after the manifest digest and shared by every VM that runs the image.
 * Layers are unpacked by GNU tar as root, so owners and modes stay as the image has them.
 */
public final class ImageDisks {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDisks.class);
    private final ImageStore images;
    private final Path dir;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** @param dir where the disk files are kept (under the daemon's state directory) */
    private final java.util.function.Consumer<String> fetch;

    public ImageDisks(ImageStore images, Path dir) {
        this(images, dir, reference -> { });
    }

    /**
     * @param fetch called before an image's disk is made: puts the image into this host's store if it is not there
     *              (in a cluster, pulled from another host), or throws
     */
    public ImageDisks(ImageStore images, Path dir, java.util.function.Consumer<String> fetch) {
        this.images = images;
        this.dir = dir;
        this.fetch = fetch;
    }

    /** The disk of {@code reference} (built now if there is none yet). */
    public Path ensure(String reference) {
        fetch.accept(reference);
        ImageDetails details = images.inspect(reference);
        String hex = details.digest().hex();
        Path disk = dir.resolve(hex + ".ext4");
        ReentrantLock lock = locks.computeIfAbsent(hex, k -> new ReentrantLock());
        lock.lock();
        try {
            if (Files.isRegularFile(disk)) {
                return disk;
            }
            long t0 = System.nanoTime();
            Files.createDirectories(dir);
            Path staging = dir.resolve(".staging-" + hex + "-" + UUID.randomUUID());
            Path partial = dir.resolve("." + hex + ".ext4.partial");
            try {
                Path root = staging.resolve("rootfs");
                Files.createDirectories(root);
                for (LayerInfo layer : details.layers()) {
                    apply(blob(layer.digest().hex()), root);
                }
                Files.copy(blob(details.id().hex()), staging.resolve("config.json"));
                Files.writeString(staging.resolve("digest"), details.digest().toString() + "\n");
                long bytes = size(staging);
                long kib = (bytes + bytes / 5 + (64L << 20)) >> 10;
                run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-d", staging.toString(),
                        "-L", "kiln-image", "-E", "root_owner=0:0", partial.toString(), kib + "k"));
                Files.move(partial, disk, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("image disk of {} built in {} ms ({} MB of files)", reference,
                        (System.nanoTime() - t0) / 1_000_000, bytes >> 20);
                return disk;
            } finally {
                deleteTree(staging);
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot build the image disk of " + reference + " in " + dir
                    + ": " + e.getMessage(), "check free space there");
        } finally {
            lock.unlock();
        }
    }

    private Path blob(String hex) {
        return images.root().resolve("blobs").resolve("sha256").resolve(hex);
    }

    /**
     * Applies one layer: first its whiteouts remove what lower layers put there ({@code .wh.NAME} removes NAME,
     * {@code .wh..wh..opq} empties its directory), then its files are extracted, without the whiteout entries.
     */
    private static void apply(Path layer, Path root) throws IOException {
        String listing = run(List.of("tar", "-tf", layer.toString()));
        for (String entry : listing.split("\n")) {
            String name = entry.startsWith("./") ? entry.substring(2) : entry;
            int slash = name.lastIndexOf('/');
            String parent = slash < 0 ? "" : name.substring(0, slash);
            String base = name.substring(slash + 1);
            if (!base.startsWith(".wh.")) {
                continue;
            }
            Path dirPath = root.resolve(parent).normalize();
            if (!dirPath.startsWith(root)) {
                throw new IOException("the layer entry " + entry + " points outside the image root");
            }
            if (base.equals(".wh..wh..opq")) {
                if (Files.isDirectory(dirPath)) {
                    try (Stream<Path> children = Files.list(dirPath)) {
                        for (Path child : children.toList()) {
                            deleteTree(child);
                        }
                    }
                }
            } else {
                Path target = dirPath.resolve(base.substring(4)).normalize();
                if (target.startsWith(root) && !target.equals(root)) {
                    deleteTree(target);
                }
            }
        }
        run(List.of("tar", "-xpf", layer.toString(), "-C", root.toString(), "--numeric-owner",
                "--no-overwrite-dir", "--exclude=.wh.*"));
    }

    private static long size(Path tree) throws IOException {
        long[] total = {0};
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += attrs.size() + 4096;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                total[0] += 4096;
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    private static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(command.getFirst() + " did not finish within 10 minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + command.getFirst() + " ran");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command.subList(0, Math.min(3, command.size()))) + " failed: "
                    + out.strip());
        }
        return out;
    }

    private static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path)) {
            walk.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(all.get(i));
        }
    }
}
