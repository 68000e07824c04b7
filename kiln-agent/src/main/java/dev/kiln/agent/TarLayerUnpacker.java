package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Applies a layer tar onto a root directory, as the OCI image spec's "applying changesets" says.
 *
 * <h2>Whiteouts</h2>
 * {@code dir/.wh.name} removes {@code dir/name} (and everything under it) as left by lower layers;
 * {@code dir/.wh..wh..opq} removes everything that lower layers put in {@code dir}. Entries of the same layer
 * are never removed by its own whiteouts, whatever their order in the tar. Whiteout files are not written.
 *
 * <h2>Hostile entries (refused: the whole layer fails with BAD_IMAGE)</h2>
 * <ul>
 *   <li>a name or hard-link target that is absolute, has a {@code ..} component or a NUL character (a PAX
 *       record can carry one), and a symbolic link target with a NUL;</li>
 *   <li>a hard link whose target does not exist in the root, or is a directory;</li>
 *   <li>a path whose parent exists as something other than a directory (after resolving links inside).</li>
 * </ul>
 * Never followed out of the root: every path is resolved component by component inside the root
 * ({@link RootPath}), so an entry under a symbolic link such as {@code evil -> /etc} lands in
 * {@code <root>/etc}; an entry whose own name is a symbolic link replaces the link, never writes through it.
 * Symbolic link targets themselves are stored as they are (they are read inside the container).
 *
 * <h2>Skipped</h2>
 * Character and block devices and FIFOs are skipped and counted: runc gives every container its own /dev, and
 * a device node from an image would be a way around the device cgroup. Extended attributes (file capabilities)
 * are not applied.
 */
final class TarLayerUnpacker implements LayerUnpacker {
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";

    private final boolean applyOwners;

    TarLayerUnpacker(boolean applyOwners) {
        this.applyOwners = applyOwners;
    }

    @Override
    public Stats apply(InputStream layer, Path root) {
        var counts = new int[6];
        Set<Path> created = new HashSet<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(layer))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                applyEntry(tar, entry, root, created, counts);
            }
        } catch (AgentException e) {
            throw e;
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.BAD_IMAGE, "cannot unpack layer");
        }
        return new Stats(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
    }

    private static InputStream decompressed(InputStream in) throws IOException {
        var buffered = new BufferedInputStream(in, 64 * 1024);
        buffered.mark(2);
        int b1 = buffered.read();
        int b2 = buffered.read();
        buffered.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            return new GZIPInputStream(buffered, 64 * 1024);
        }
        if (b1 == 0x28 && b2 == 0xb5) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "zstd-compressed layers are not supported");
        }
        return buffered;
    }

    private void applyEntry(TarArchiveInputStream tar, TarArchiveEntry entry, Path root, Set<Path> created,
                            int[] counts) throws IOException {
        String name = entry.getName();
        List<String> parts = checkedComponents(name, "entry");
        if (entry.isSymbolicLink() && entry.getLinkName().indexOf('\0') >= 0) {
            throw hostile("symbolic link '" + name + "' has a target with a NUL character: '"
                    + shown(entry.getLinkName()) + "'");
        }
        if (parts.isEmpty()) {
            return; // "./" itself: the root keeps its own metadata
        }
        String base = parts.getLast();
        String parentPath = String.join("/", parts.subList(0, parts.size() - 1));
        if (base.startsWith(WHITEOUT)) {
            whiteout(root, parentPath, base, created);
            counts[4]++;
            return;
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
            counts[5]++;
            return;
        }
        Path parent = RootPath.resolve(root, parentPath, true);
        makeParents(root, parent, name);
        Path target = parent.resolve(base);
        boolean existingDir = RootPath.isRealDirectory(target);
        if (!(entry.isDirectory() && existingDir)) {
            Disk.deleteTree(target); // replaces files and links (a link is removed, never written through)
        }
        if (entry.isDirectory()) {
            if (!existingDir) {
                Files.createDirectory(target);
            }
            counts[1]++;
        } else if (entry.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            counts[2]++;
        } else if (entry.isLink()) {
            Path source = hardLinkSource(root, entry);
            Files.createLink(target, source);
            counts[3]++;
            created.add(target);
            return; // a hard link shares its source's metadata
        } else if (entry.isFile()) {
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                tar.transferTo(out);
            }
            counts[0]++;
        } else {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "layer entry '" + name + "' has an unsupported type");
        }
        created.add(target);
        applyMetadata(entry, target);
    }

    /** The components of a name from the tar, refusing absolute names and {@code ..}. */
    private static List<String> checkedComponents(String name, String what) {
        if (name.indexOf('\0') >= 0) {
            throw hostile(what + " '" + shown(name) + "' contains a NUL character");
        }
        if (name.startsWith("/")) {
            throw hostile(what + " '" + name + "' is an absolute path");
        }
        List<String> parts = RootPath.components(name);
        if (parts.contains("..")) {
            throw hostile(what + " '" + name + "' has a '..' component");
        }
        return parts;
    }

    private static Path hardLinkSource(Path root, TarArchiveEntry entry) throws IOException {
        List<String> parts = checkedComponents(entry.getLinkName(), "hard link target of '" + entry.getName() + "':");
        if (parts.isEmpty()) {
            throw hostile("hard link '" + entry.getName() + "' points at the root");
        }
        Path source = RootPath.resolve(root, String.join("/", parts), false);
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw hostile("hard link '" + entry.getName() + "' points at '" + entry.getLinkName()
                    + "', which is not in the layers so far");
        }
        if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            throw hostile("hard link '" + entry.getName() + "' points at a directory");
        }
        return source;
    }

    private static void makeParents(Path root, Path parent, String name) throws IOException {
        if (RootPath.isRealDirectory(parent)) {
            return;
        }
        if (Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
            throw hostile("the parent of '" + name + "' is not a directory");
        }
        Path rel = root.relativize(parent);
        Path p = root;
        for (Path part : rel) {
            p = p.resolve(part.toString());
            if (!RootPath.isRealDirectory(p)) {
                try {
                    Files.createDirectory(p);
                } catch (FileAlreadyExistsException e) {
                    throw hostile("the parent of '" + name + "' is not a directory");
                }
            }
        }
    }

    private static void whiteout(Path root, String parentPath, String base, Set<Path> created) throws IOException {
        Path dir = RootPath.resolve(root, parentPath, true);
        if (!RootPath.isRealDirectory(dir)) {
            return; // nothing below to hide
        }
        if (base.equals(OPAQUE)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    if (!created.contains(child)) {
                        Disk.deleteTree(child);
                    }
                }
            }
            return;
        }
        if (base.startsWith(WHITEOUT + WHITEOUT)) {
            return; // other AUFS metadata (.wh..wh.plnk, ...): nothing to apply
        }
        String hidden = base.substring(WHITEOUT.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw hostile("whiteout '" + parentPath + "/" + base + "' names no file");
        }
        Path victim = dir.resolve(hidden);
        if (!created.contains(victim)) {
            Disk.deleteTree(victim);
        }
    }

    private void applyMetadata(TarArchiveEntry entry, Path target) throws IOException {
        if (applyOwners) {
            try {
                Files.setAttribute(target, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(target, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                // lchown on a file system without owners (e.g. some FUSE): keep the agent's owner
            }
        }
        if (entry.isSymbolicLink()) {
            return; // links have no mode of their own; their times do not matter
        }
        Files.setAttribute(target, "unix:mode", entry.getMode() & 07777, LinkOption.NOFOLLOW_LINKS);
        FileTime mtime = FileTime.fromMillis(entry.getModTime().getTime());
        Files.setLastModifiedTime(target, mtime);
    }

    /** A name for a message: a NUL (which a PAX record can carry) shown as {@code \\0}. */
    private static String shown(String name) {
        return name.replace("\0", "\\0");
    }

    private static AgentException hostile(String message) {
        return new AgentException(AgentErrorCode.BAD_IMAGE, "refused layer: " + message,
                "the image has a hostile or broken layer; rebuild it with a standard tool");
    }
}
