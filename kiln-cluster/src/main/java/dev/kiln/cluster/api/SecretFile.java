package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/** A secret in a file that only its owner (root) may read or write: mode 0600, replaced atomically. */
public final class SecretFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private SecretFile() {
    }

    /**
     * Writes {@code content} to {@code file} with mode 0600: into a new file beside it, created with that mode, then
     * moved over the old one, so that no reader ever sees a partial secret or a wider mode.
     *
     * @throws ClusterException UNAVAILABLE when the directory is not writable
     */
    public static void write(Path file, String content) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.writeString(temp, content, StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(temp, OWNER_ONLY);
                try {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot write " + file + ": " + e,
                    "check that the state directory is writable by the daemon (root)", e);
        }
    }

    /**
     * The content of {@code file}, if it exists.
     *
     * @throws ClusterException UNAVAILABLE when it exists but cannot be read (the hint: run as root)
     */
    public static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot read " + file + ": " + e,
                    "run kiln as root: the file is readable by root only");
        }
    }
}
