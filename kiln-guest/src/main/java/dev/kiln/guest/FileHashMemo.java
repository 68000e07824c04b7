package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * sha256 of files, remembered by what {@code stat} says about them (real path, size, mtime, ctime, inode), so a
 * warm {@code ensure()} does not re-read an 8 MB kernel. Remembered in memory and in small files under a cache
 * directory, so a new process is fast too. A file rewritten in place changes its ctime, which the user cannot
 * set back, so a stale hash is not served.
 */
final class FileHashMemo {
    private final Path dir;
    private final Map<String, String> memory = new ConcurrentHashMap<>();

    FileHashMemo(Path dir) {
        this.dir = dir;
    }

    String sha256(Path file) {
        String key = key(file);
        String cached = memory.get(key);
        if (cached != null) {
            return cached;
        }
        Path entry = dir.resolve(key);
        String hash = readEntry(entry);
        if (hash == null) {
            hash = hashFile(file);
            writeEntry(entry, hash);
        }
        memory.put(key, hash);
        return hash;
    }

    private static String key(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            Object ctime;
            try {
                ctime = Files.getAttribute(real, "unix:ctime");
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                ctime = FileTime.fromMillis(0);
            }
            String stat = real + "\0" + attributes.size() + "\0" + attributes.lastModifiedTime().toInstant()
                    + "\0" + ((FileTime) ctime).toInstant() + "\0" + attributes.fileKey();
            return sha256(stat.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot stat " + file, e);
        }
    }

    private static String readEntry(Path entry) {
        try {
            String text = Files.readString(entry, StandardCharsets.US_ASCII).strip();
            return text.matches("[0-9a-f]{64}") ? text : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Best effort: a memo that cannot be written only costs a re-hash next time. */
    private static void writeEntry(Path entry, String hash) {
        try {
            Files.createDirectories(entry.getParent());
            Path temp = Files.createTempFile(entry.getParent(), ".memo-", ".tmp");
            try {
                Files.writeString(temp, hash + "\n", StandardCharsets.US_ASCII);
                Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            // best effort; without atomic moves we leave no memo rather than a torn one
        }
    }

    static String hashFile(Path file) {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot read " + file, e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newDigest().digest(bytes));
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
