package dev.kiln.image;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * One layer written from nothing: directories, files copied from the host and symbolic links, kept in a tree that
 * refuses two entries at one path and an entry under a file or link, so what the importer later checks (nothing
 * is written through a symlink) holds by construction. The tar is reproducible: entries in path order (a parent
 * before its children), owner 0:0 without names, the time {@link #MTIME}, and the host file's contents and the
 * mode asked for; the host file's own time and owner are not used.
 */
final class ScratchLayer {
    /** The time of every entry. */
    static final Instant MTIME = Instant.EPOCH;

    private sealed interface Node permits Dir, File, Symlink {
        String origin();
    }

    /** @param implied made for an entry below it, not asked for; an explicit directory may replace it */
    private record Dir(int mode, String origin, boolean implied) implements Node {
    }

    private record File(Path source, long size, int mode, String origin) implements Node {
    }

    private record Symlink(String to, String origin) implements Node {
    }

    /** By path relative to the root ({@code usr/bin/x}); the sort order puts each directory before its contents. */
    private final TreeMap<String, Node> nodes = new TreeMap<>();

    /** The files, links and workdir of a scratch spec. */
    static ScratchLayer of(BuildSpec spec) {
        return new ScratchLayer().add(spec);
    }

    /** Adds the spec's files, links and workdir. */
    ScratchLayer add(BuildSpec spec) {
        for (BuildSpec.FileCopy f : spec.files()) {
            file(f.target(), f.source(), f.modeBits(), "files: " + f.target());
        }
        for (BuildSpec.Link l : spec.links()) {
            symlink(l.target(), l.to(), "links: " + l.target());
        }
        spec.workdir().ifPresent(w -> directory(w, 0755, "workdir " + w));
        return this;
    }

    ScratchLayer directory(String imagePath, int mode, String origin) {
        put(imagePath, new Dir(mode, origin, false));
        return this;
    }

    /** Copies {@code source} (following symlinks) when the layer is written. */
    ScratchLayer file(String imagePath, Path source, int mode, String origin) {
        if (!Files.isRegularFile(source)) {
            throw BuildSpec.invalid(origin + ": the source " + source + " is not a file");
        }
        try {
            put(imagePath, new File(source, Files.size(source), mode, origin));
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot read " + source + ": " + e.getMessage(), e);
        }
        return this;
    }

    ScratchLayer symlink(String imagePath, String to, String origin) {
        put(imagePath, new Symlink(to, origin));
        return this;
    }

    /**
     * Copies the host directory {@code dir} to {@code imagePath}: its directories, regular files and symbolic
     * links (as links, with the same text), with their permission bits.
     */
    ScratchLayer tree(String imagePath, Path dir, String origin) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted().toList()) {
                String rel = dir.relativize(p).toString();
                String at = rel.isEmpty() ? imagePath : imagePath + "/" + rel;
                if (Files.isSymbolicLink(p)) {
                    symlink(at, Files.readSymbolicLink(p).toString(), origin);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    directory(at, mode(p), origin);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    file(at, p, mode(p), origin);
                } else {
                    throw new ImageException(ImageError.BUILD_FAILED, origin + ": " + p
                            + " is neither a file, a directory nor a symbolic link");
                }
            }
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot read " + dir + ": " + e.getMessage(), e);
        }
        return this;
    }

    /** The permission bits (with set-id and sticky) of a host file, not following a symlink. */
    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** The entries' paths, in the order they are written. */
    List<String> paths() {
        return List.copyOf(nodes.keySet());
    }

    private void put(String imagePath, Node node) {
        String path = BuildSpec.normalize(imagePath);
        if (path.isEmpty() || List.of(path.split("/")).contains("..")) {
            throw new ImageException(ImageError.BUILD_FAILED, node.origin() + ": '" + imagePath
                    + "' is not a path below the image's root");
        }
        for (String dir : EntryPath.parents(path)) {
            Node above = nodes.putIfAbsent(dir, new Dir(0755, "the directory /" + dir, true));
            if (above != null && !(above instanceof Dir)) {
                throw BuildSpec.invalid(node.origin() + " lies under " + above.origin() + ", which is not a directory");
            }
        }
        Node there = nodes.get(path);
        if (there == null || there instanceof Dir d && d.implied() && node instanceof Dir) {
            nodes.put(path, node);
        } else if (!(there instanceof Dir && node instanceof Dir)) {
            throw BuildSpec.invalid(node.origin() + " is the same path as " + there.origin());
        }
        // else: a directory asked for twice keeps the mode it was first asked for with
    }

    /** Writes the layer as an uncompressed tar. */
    void write(Path tar) {
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 16);
             TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Map.Entry<String, Node> e : nodes.entrySet()) {
                write(out, e.getKey(), e.getValue());
            }
            out.finish();
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot write the layer " + tar + ": " + e.getMessage(), e);
        }
    }

    private static void write(TarArchiveOutputStream out, String path, Node node) throws IOException {
        switch (node) {
            case Dir d -> out.putArchiveEntry(entry(path + "/", TarConstants.LF_DIR, d.mode()));
            case Symlink s -> {
                TarArchiveEntry entry = entry(path, TarConstants.LF_SYMLINK, 0777);
                entry.setLinkName(s.to());
                out.putArchiveEntry(entry);
            }
            case File f -> {
                TarArchiveEntry entry = entry(path, TarConstants.LF_NORMAL, f.mode());
                entry.setSize(f.size());
                out.putArchiveEntry(entry);
                try (InputStream in = Files.newInputStream(f.source())) {
                    if (in.transferTo(out) != f.size()) {
                        throw new IOException(f.source() + " changed while the layer was written");
                    }
                }
            }
        }
        out.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, byte type, int mode) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
        entry.setMode(mode);
        entry.setIds(0, 0);
        entry.setUserName("");
        entry.setGroupName("");
        entry.setModTime(FileTime.from(MTIME));
        return entry;
    }
}
