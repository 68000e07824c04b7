package dev.kiln.guest;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Writes a stream to a new file, leaving holes where whole 4 KiB blocks are zero (a guest's root file system is
 * mostly empty blocks: sparse on the host that built it, and sparse again here), and checks its size and sha256.
 */
final class SparseCopy {
    private static final int BLOCK = 4096;
    private static final byte[] ZERO = new byte[BLOCK];

    private SparseCopy() {
    }

    /** @throws IOException when the stream fails, or does not have exactly {@code size} bytes of that sha256 */
    static void copy(InputStream stream, Path target, long size, String sha256) throws IOException {
        MessageDigest sha = GuestImageListing.sha256();
        byte[] block = new byte[BLOCK];
        long total = 0;
        try (InputStream in = new BufferedInputStream(stream, 256 * 1024);
             RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw")) {
            FileChannel channel = file.getChannel();
            int n;
            while ((n = in.readNBytes(block, 0, BLOCK)) > 0) {
                total += n;
                if (total > size) {
                    throw new IOException(target.getFileName() + " is longer than the " + size + " bytes it should have");
                }
                sha.update(block, 0, n);
                if (Arrays.mismatch(block, 0, n, ZERO, 0, n) == -1) {
                    channel.position(channel.position() + n);
                } else {
                    ByteBuffer buffer = ByteBuffer.wrap(block, 0, n);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            }
            file.setLength(total); // a file that ends in a hole
        }
        if (total != size) {
            throw new IOException(target.getFileName() + " ended after " + total + " of its " + size + " bytes");
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(sha256)) {
            throw new IOException(target.getFileName() + " arrived with sha256 " + got + ", not " + sha256);
        }
    }
}
