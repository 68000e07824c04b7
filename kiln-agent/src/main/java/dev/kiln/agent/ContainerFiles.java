package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Copies single files into and out of a container's root file system (what the guest sees of it: the overlay or
 * the copy, not the container's own mounts such as /dev or bind mounts). Paths are absolute inside the container;
 * one whose {@code ..} would climb above its root is refused, and links are resolved inside the root
 * ({@link RootPath}). An upload goes to a temporary file beside the target and is renamed over it, so a full
 * disk or a short body leaves the old file as it was, and a link at the target is replaced, not written through.
 */
final class ContainerFiles {
    private ContainerFiles() {
    }

    /** Checks a path from the API: absolute, and never above the root. */
    static String checked(String path) {
        if (path.isEmpty() || !path.startsWith("/")) {
            throw new AgentException(AgentErrorCode.PATH_ESCAPES_ROOT, "path must be absolute: '" + path + "'");
        }
        if (path.indexOf('\0') >= 0) {
            throw new AgentException(AgentErrorCode.PATH_ESCAPES_ROOT, "path has a NUL byte");
        }
        int depth = 0;
        for (String c : RootPath.components(path)) {
            depth += c.equals("..") ? -1 : 1;
            if (depth < 0) {
                throw new AgentException(AgentErrorCode.PATH_ESCAPES_ROOT, "path '" + path
                        + "' climbs above the container's root");
            }
        }
        return path;
    }

    /** The regular file at {@code path} in {@code root}. */
    static Path source(Path root, String path) {
        try {
            Path file = RootPath.resolve(root, checked(path), true);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new AgentException(AgentErrorCode.NOT_FOUND, "no regular file at " + path + " in the container",
                        "check the path; only regular files can be copied out");
            }
            return file;
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "cannot resolve " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code content} (at most {@code maxBytes}) to {@code path} in {@code root} with {@code mode}. */
    static long write(Path root, String path, InputStream content, long maxBytes, int mode) {
        Path target;
        try {
            target = RootPath.resolve(root, checked(path), false);
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "cannot resolve " + path + ": " + e.getMessage(), e);
        }
        if (target.equals(root)) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "cannot write to the root directory itself");
        }
        Path dir = target.getParent();
        if (!RootPath.isRealDirectory(dir)) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "the directory of " + path + " does not exist",
                    "create it first (exec mkdir -p)");
        }
        if (RootPath.isRealDirectory(target)) {
            throw new AgentException(AgentErrorCode.CONFLICT, path + " is a directory");
        }
        Path part = dir.resolve(".kiln-upload-" + UUID.randomUUID());
        try {
            long total = 0;
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = content.read(buf)) > 0) {
                    total += n;
                    if (total > maxBytes) {
                        throw new AgentException(AgentErrorCode.PAYLOAD_TOO_LARGE, "file is larger than "
                                + maxBytes + " bytes", "raise the agent's max-file or copy a smaller file");
                    }
                    out.write(buf, 0, n);
                }
            }
            Files.setAttribute(part, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return total;
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot write " + path);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException e) {
                System.err.println("kiln-agent: cannot remove " + part + ": " + e);
            }
        }
    }
}
