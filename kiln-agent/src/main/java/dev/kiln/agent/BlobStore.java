package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Content-addressed blobs (layers, configs) under {@code <state>/blobs/sha256/<hex>}. A blob is only ever
 * renamed into place after its whole content matched its digest and size, so a present file is a verified one;
 * a failed or partial download leaves nothing behind.
 */
final class BlobStore {
    private final Path dir;
    private final Path tmp;

    BlobStore(Path stateDir) {
        this.dir = stateDir.resolve("blobs").resolve("sha256");
        this.tmp = stateDir.resolve("blobs").resolve("tmp");
        try {
            Files.createDirectories(dir);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot create the blob store in " + dir);
        }
    }

    Path path(Digest digest) {
        return dir.resolve(digest.hex());
    }

    boolean has(Digest digest) {
        return Files.isRegularFile(path(digest));
    }

    InputStream open(Digest digest) throws IOException {
        return Files.newInputStream(path(digest));
    }

    /**
     * Stores {@code content} as {@code digest}, reading at most {@code size + 1} bytes; refuses (DIGEST_MISMATCH)
     * when the content is longer or shorter than {@code size} or hashes to another digest. {@code what} names
     * the blob in errors.
     */
    void put(Digest digest, long size, InputStream content, String what) {
        Path part = tmp.resolve(digest.hex() + "." + UUID.randomUUID() + ".part");
        try {
            MessageDigest sha = Digest.sha256();
            long total = 0;
            try (InputStream in = content; OutputStream out = Files.newOutputStream(part)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    total += n;
                    if (total > size) {
                        throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, what + " " + digest
                                + " is longer than its declared size " + size + " bytes");
                    }
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            if (total != size) {
                throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, what + " " + digest + " has " + total
                        + " bytes, its descriptor says " + size);
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(digest.hex())) {
                throw new AgentException(AgentErrorCode.DIGEST_MISMATCH, what + " " + digest
                        + " does not match its content (sha256:" + actual + ")");
            }
            Files.move(part, path(digest), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.REGISTRY_ERROR, "cannot download " + what + " " + digest);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException e) {
                System.err.println("kiln-agent: cannot remove " + part + ": " + e);
            }
        }
    }
}
