package dev.kiln.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks an image archive (a tar or tar.gz of an OCI layout, or a {@code docker save} archive) into a staging
 * directory. Only directories and regular files are written. Links, which {@code docker save} uses for layers
 * two images share, become copies of the file they name, resolved by name inside the archive; a link that leaves
 * the archive or names no regular file is an error. Entry names follow {@link EntryPath#normalize}.
 */
final class ArchiveExtractor {
    private static final int MAX_LINK_HOPS = 16;

    private ArchiveExtractor() {
    }

    /** Whether {@code file} starts like a gzip stream or a tar archive. */
    static boolean looksLikeArchive(Path file) {
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return isGzip(head, n) || TarArchiveInputStream.matches(head, n);
    }

    static void extract(Path archive, Path target) {
        String where = "archive " + archive.getFileName();
        Map<String, String> links = new LinkedHashMap<>();
        Set<String> files = new HashSet<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
             InputStream plain = gzipped(raw) ? GzipCompressorInputStream.builder().setInputStream(raw)
                     .setDecompressConcatenated(true).get() : raw) {
            EndMarkerStream counted = new EndMarkerStream(plain);
            TarArchiveInputStream tar = new TarArchiveInputStream(counted);
            int entries = 0;
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; entries++) {
                String name = EntryPath.normalize(entry.getName(), where);
                if (entry.isDirectory()) {
                    Files.createDirectories(target.resolve(name));
                } else if (entry.isSymbolicLink() || entry.isLink()) {
                    links.put(name, linkTarget(entry, name, where));
                } else if (entry.isFile() && !entry.isCharacterDevice() && !entry.isBlockDevice() && !entry.isFIFO()
                        && !name.isEmpty()) {
                    if (!files.add(name) || links.containsKey(name)) {
                        throw new ImageException(ImageError.CORRUPT_ARCHIVE, where + " has the entry '" + name + "' twice");
                    }
                    Path out = target.resolve(name);
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out);
                } else {
                    throw EntryPath.unsafe(where, entry.getName(), "is neither a file, a directory nor a link");
                }
            }
            if (entries == 0) {
                throw new ImageException(ImageError.CORRUPT_ARCHIVE, where + " has no entries");
            }
            counted.transferTo(java.io.OutputStream.nullOutputStream());
            if (!counted.endedWithEndMarker()) {
                throw new ImageException(ImageError.CORRUPT_ARCHIVE, where
                        + " is truncated: it lacks the two zero blocks that end a tar archive");
            }
        } catch (FileAlreadyExistsException e) {
            throw new ImageException(ImageError.CORRUPT_ARCHIVE, where + " has a file and a directory named '"
                    + target.relativize(Path.of(e.getFile())) + "'", e);
        } catch (IOException e) {
            throw new ImageException(ImageError.CORRUPT_ARCHIVE, where + " is not a readable tar: " + e.getMessage(), e);
        }
        materialize(links, files, target, where);
    }

    private static String linkTarget(TarArchiveEntry entry, String name, String where) {
        String linkName = entry.getLinkName();
        if (entry.isSymbolicLink()) {
            if (linkName.startsWith("/")) {
                throw EntryPath.unsafe(where, entry.getName(), "is a symbolic link to the absolute path " + linkName);
            }
            String parent = EntryPath.parent(name);
            linkName = parent.isEmpty() ? linkName : parent + "/" + linkName;
            return collapse(linkName, entry.getName(), where);
        }
        return EntryPath.normalize(linkName, where);
    }

    /** Resolves {@code a/b/../c} lexically; a {@code ..} above the archive's root is an error. */
    private static String collapse(String path, String entryName, String where) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    throw EntryPath.unsafe(where, entryName, "is a link that points outside the archive");
                }
                parts.removeLast();
            } else if (!part.isEmpty() && !part.equals(".")) {
                parts.addLast(part);
            }
        }
        return String.join("/", parts);
    }

    private static void materialize(Map<String, String> links, Set<String> files, Path target, String where) {
        for (Map.Entry<String, String> link : links.entrySet()) {
            String name = link.getKey();
            String to = link.getValue();
            for (int hops = 0; links.containsKey(to); hops++) {
                if (hops == MAX_LINK_HOPS) {
                    throw new ImageException(ImageError.CORRUPT_ARCHIVE, where + ": the link '" + name + "' loops");
                }
                to = links.get(to);
            }
            if (!files.contains(to)) {
                throw new ImageException(ImageError.MISSING_BLOB, where + ": the link '" + name + "' points to '"
                        + to + "', which is not a file in the archive");
            }
            try {
                Path out = target.resolve(name);
                Files.createDirectories(out.getParent());
                Files.copy(target.resolve(to), out, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new ImageException(ImageError.STORE_FAILED, where + ": cannot copy '" + to + "' to '" + name
                        + "': " + e.getMessage(), e);
            }
        }
    }

    private static boolean gzipped(InputStream in) throws IOException {
        in.mark(2);
        byte[] head = in.readNBytes(2);
        in.reset();
        return isGzip(head, head.length);
    }

    private static boolean isGzip(byte[] head, int n) {
        return n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
    }

    /**
     * Counts the zero bytes at the end of what was read: every tar writer ends the archive with two zero blocks
     * (1024 bytes), while a truncated archive usually ends inside a header, which the tar reader takes for EOF.
     */
    private static final class EndMarkerStream extends java.io.FilterInputStream {
        private long trailingZeros;

        EndMarkerStream(InputStream in) {
            super(in);
        }

        boolean endedWithEndMarker() {
            return trailingZeros >= 1024;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                trailingZeros = b == 0 ? trailingZeros + 1 : 0;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            for (int i = off; i < off + n; i++) {
                trailingZeros = buf[i] == 0 ? trailingZeros + 1 : 0;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long left = n;
            while (left > 0) {
                int r = read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    break;
                }
                left -= r;
            }
            return n - left;
        }
    }
}
