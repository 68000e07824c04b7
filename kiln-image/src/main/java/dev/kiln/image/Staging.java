package dev.kiln.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A private directory inside the store where an import copies and verifies blobs before any of them becomes
 * visible: {@code <staging>/src} holds an unpacked archive, {@code <staging>/blobs} the verified copies, named
 * by their sha256. Each blob is hashed while it is copied, so what is verified is exactly what is kept.
 */
final class Staging implements AutoCloseable {
    private final Path dir;
    private final Path blobs;
    private final Map<Digest, Long> staged = new LinkedHashMap<>();

    private Staging(Path dir) throws IOException {
        this.dir = dir;
        this.blobs = Files.createDirectories(dir.resolve("blobs"));
    }

    static Staging create(Path tmpRoot) {
        try {
            return new Staging(Files.createTempDirectory(tmpRoot, "import-" + ProcessHandle.current().pid() + "-"));
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot create a staging directory in " + tmpRoot
                    + ": " + e.getMessage(), e);
        }
    }

    Path sourceDir() {
        return dir.resolve("src");
    }

    /** Staged blobs and their sizes, in the order they were staged. */
    Map<Digest, Long> blobs() {
        return staged;
    }

    Path blob(Digest digest) {
        return blobs.resolve(digest.hex());
    }

    /**
     * Copies {@code source} and checks it against what its descriptor says.
     *
     * @throws ImageException {@link ImageError#DIGEST_MISMATCH} when the size or sha256 differs
     */
    Path stageExpected(Path source, Digest digest, long size, String what) {
        if (staged.containsKey(digest)) {
            return blob(digest);
        }
        Path tmp = blobs.resolve("incoming");
        Digest actual = copyHashing(source, tmp, size, what);
        try {
            long actualSize = Files.size(tmp);
            if (actualSize != size) {
                throw new ImageException(ImageError.DIGEST_MISMATCH, what + " is " + actualSize
                        + " bytes, but its descriptor says " + size);
            }
            if (!actual.equals(digest)) {
                throw new ImageException(ImageError.DIGEST_MISMATCH, what + " has the digest " + actual
                        + ", but its descriptor says " + digest);
            }
            Files.move(tmp, blob(digest));
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new ImageException(ImageError.STORE_FAILED, "cannot stage " + what + ": " + e.getMessage(), e);
        } catch (ImageException e) {
            deleteQuietly(tmp);
            throw e;
        }
        staged.put(digest, size);
        return blob(digest);
    }

    /** Copies a file whose digest is not known in advance (docker save's layers) and names it by its digest. */
    Digest stageComputed(Path source, String what) {
        Path tmp = blobs.resolve("incoming");
        Digest digest = copyHashing(source, tmp, Long.MAX_VALUE, what);
        try {
            if (staged.containsKey(digest)) {
                Files.delete(tmp);
            } else {
                staged.put(digest, Files.size(tmp));
                Files.move(tmp, blob(digest));
            }
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot stage " + what + ": " + e.getMessage(), e);
        }
        return digest;
    }

    Digest stageBytes(byte[] bytes) {
        Digest digest = Digest.of(bytes);
        if (!staged.containsKey(digest)) {
            try {
                Files.write(blob(digest), bytes);
            } catch (IOException e) {
                throw new ImageException(ImageError.STORE_FAILED, "cannot stage a manifest: " + e.getMessage(), e);
            }
            staged.put(digest, (long) bytes.length);
        }
        return digest;
    }

    /** Copies at most {@code limit} bytes (one more is an error), hashing them, and syncs the copy to disk. */
    private static Digest copyHashing(Path source, Path target, long limit, String what) {
        if (!Files.isRegularFile(source)) {
            throw new ImageException(ImageError.MISSING_BLOB, what + " is missing from the archive (no file "
                    + source.getFileName() + ")");
        }
        MessageDigest md = Digest.sha256();
        try (InputStream in = Files.newInputStream(source);
             FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = Channels.newOutputStream(channel)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > limit) {
                    throw new ImageException(ImageError.DIGEST_MISMATCH, what + " is larger than the "
                            + limit + " bytes its descriptor says");
                }
                md.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            out.flush();
            channel.force(true);
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot copy " + what + ": " + e.getMessage(), e);
        } catch (ImageException e) {
            deleteQuietly(target);
            throw e;
        }
        return Digest.fromDigest(md);
    }

    @Override
    public void close() {
        deleteTree(dir);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(Staging::deleteQuietly);
        } catch (IOException e) {
            // a leftover is swept when the store is next opened
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort
        }
    }
}
