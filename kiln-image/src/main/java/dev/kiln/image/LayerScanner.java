package dev.kiln.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Checks the layers of one image, bottom to top, and computes each layer's uncompressed digest (its diff id).
 *
 * <p>The rules (docs/ARCHITECTURE.md, "Hostile layers"): an entry is rejected when its name, or a hard link's
 * target, is absolute or has a {@code ..} component; when a hard link's target is not a file of this layer (before
 * the link) or of a lower one, or is a lower layer's file that a whiteout earlier in this layer removed (the guest
 * applies each whiteout where it stands in the tar, so the link would find nothing there; a link before the
 * whiteout is fine in both places); when it is a character or block device, a FIFO, a sparse
 * file or of an unknown type; when it would be written through a symbolic link, that is, a directory on its path
 * is a symlink made by this layer or a lower one (whiteouts and opaque markers take effect only after the layer
 * that holds them, and never un-make a symlink of that same layer); when it is a whiteout of nothing
 * ({@code .wh.} alone) or of {@code .}/{@code ..}, or an AUFS meta file {@code .wh..wh.*} other than the opaque
 * marker {@code .wh..wh..opq}; when it is a symbolic link whose target is empty or holds a NUL (a PAX record can
 * carry one; no file system can). Symlink targets are not otherwise checked: absolute and {@code ..} targets are
 * normal in a root file system and resolve inside the container's root, which is safe as long as no entry is
 * written through a symlink, which the rule above ensures. Setuid and setgid files are accepted: they are normal in
 * a root file system ({@code su}, {@code passwd}), and the microVM, not the container, is the isolation boundary.
 */
final class LayerScanner {
    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";

    /** Symlinks visible to the next entry: from lower layers, and made by the current one so far. */
    private final Set<String> symlinks = new HashSet<>();
    private final Set<String> madeThisLayer = new HashSet<>();
    private final List<Predicate<String>> removals = new ArrayList<>();
    /** Non-directories visible to the next entry, as hard-link targets: from lower layers and this one so far. */
    private final Set<String> files = new HashSet<>();
    private final Set<String> filesThisLayer = new HashSet<>();
    /** Lower layers' files that a whiteout of this layer removed so far, and the whiteout's name (for the message). */
    private final Map<String, String> removedThisLayer = new HashMap<>();

    /**
     * Scans the next layer (in manifest order) and returns the sha256 of its uncompressed tar.
     *
     * @param gzip whether the blob is gzip-compressed (by its media type)
     */
    Digest scan(Path blob, boolean gzip, String label) {
        madeThisLayer.clear();
        filesThisLayer.clear();
        removedThisLayer.clear();
        removals.clear();
        MessageDigest md = Digest.sha256();
        try (InputStream file = new BufferedInputStream(Files.newInputStream(blob), 1 << 16);
             InputStream plain = gzip ? GzipCompressorInputStream.builder().setInputStream(file)
                     .setDecompressConcatenated(true).get() : file;
             InputStream digesting = new ReadingDigestStream(plain, md)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(digesting);
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                check(entry, label);
            }
            digesting.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new ImageException(ImageError.CORRUPT_ARCHIVE, label + " is not a readable "
                    + (gzip ? "gzip-compressed " : "") + "tar: " + e.getMessage(), e);
        }
        symlinks.removeIf(s -> !madeThisLayer.contains(s) && removals.stream().anyMatch(r -> r.test(s)));
        return Digest.fromDigest(md);
    }

    private void check(TarArchiveEntry entry, String label) {
        String raw = entry.getName();
        String path = EntryPath.normalize(raw, label);
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            throw EntryPath.unsafe(label, raw, "is a device node");
        }
        if (entry.isFIFO()) {
            throw EntryPath.unsafe(label, raw, "is a FIFO");
        }
        if (entry.isSparse()) {
            throw EntryPath.unsafe(label, raw, "is a sparse file, which kiln does not unpack");
        }
        for (String dir : EntryPath.parents(path)) {
            if (symlinks.contains(dir)) {
                throw EntryPath.unsafe(label, raw, "would be written through the symbolic link '" + dir + "'");
            }
        }
        if (path.isEmpty() && !entry.isDirectory()) {
            throw EntryPath.unsafe(label, raw, "names the root but is not a directory");
        }
        if (entry.isSymbolicLink()) {
            String target = entry.getLinkName();
            if (target.isEmpty()) {
                throw EntryPath.unsafe(label, raw, "is a symbolic link with an empty target, which Linux cannot create");
            }
            if (target.indexOf('\0') >= 0) {
                throw EntryPath.unsafe(label, raw, "is a symbolic link whose target contains a NUL character");
            }
            symlinks.add(path);
            madeThisLayer.add(path);
            made(path);
            return;
        }
        if (entry.isLink()) {
            String target = EntryPath.normalize(entry.getLinkName(), label + " (hard link target of '" + raw + "')");
            if (target.isEmpty()) {
                throw EntryPath.unsafe(label, raw, "is a hard link to the root");
            }
            for (String dir : EntryPath.parents(target)) {
                if (symlinks.contains(dir)) {
                    throw EntryPath.unsafe(label, raw, "is a hard link through the symbolic link '" + dir + "'");
                }
            }
            if (removedThisLayer.containsKey(target)) {
                throw EntryPath.unsafe(label, raw, "is a hard link to '" + target + "', which the whiteout '"
                        + removedThisLayer.get(target) + "' before it in this layer removed");
            }
            if (!files.contains(target)) {
                throw EntryPath.unsafe(label, raw, "is a hard link to '" + target
                        + "', which is not a file of this layer (before it) or of a lower one");
            }
        } else if (!entry.isDirectory() && !isRegular(entry)) {
            throw EntryPath.unsafe(label, raw, "has the unsupported tar type '" + (char) entry.getLinkFlag() + "'");
        }
        symlinks.remove(path);
        madeThisLayer.remove(path);
        for (String dir : EntryPath.parents(path)) {
            if (EntryPath.basename(dir).startsWith(WHITEOUT)) {
                throw EntryPath.unsafe(label, raw, "lies under '" + dir + "', a whiteout name used as a directory"
                        + (EntryPath.basename(dir).startsWith(WHITEOUT + WHITEOUT) ? " (AUFS metadata)" : ""));
            }
        }
        String name = EntryPath.basename(path);
        if (name.startsWith(WHITEOUT)) {
            whiteout(entry, path, name, raw, label);
        } else if (entry.isDirectory()) {
            files.remove(path);
            removedThisLayer.remove(path);
        } else {
            made(path);
        }
    }

    private void made(String file) {
        files.add(file);
        filesThisLayer.add(file);
        removedThisLayer.remove(file);
    }

    private void whiteout(TarArchiveEntry entry, String path, String name, String raw, String label) {
        String dir = EntryPath.parent(path);
        if (name.startsWith(WHITEOUT + WHITEOUT) && !name.equals(OPAQUE)) {
            throw EntryPath.unsafe(label, raw, "is AUFS metadata, which kiln does not accept");
        }
        if (!isRegular(entry)) {
            throw EntryPath.unsafe(label, raw, "is a whiteout but not a regular file");
        }
        if (name.equals(OPAQUE)) {
            remove(s -> EntryPath.isUnder(s, dir), path);
            return;
        }
        String target = name.substring(WHITEOUT.length());
        if (target.isEmpty() || target.equals(".") || target.equals("..")) {
            throw EntryPath.unsafe(label, raw, "is a whiteout of '" + target + "'");
        }
        String removed = dir.isEmpty() ? target : dir + "/" + target;
        remove(s -> s.equals(removed) || EntryPath.isUnder(s, removed), path);
    }

    /**
     * A whiteout of this layer: lower layers' files it matches are no hard-link targets from here on, as in the guest,
     * which applies each whiteout where it stands in the tar (this layer's own files stay, wherever they are). Symlinks
     * it matches stay visible until the end of the layer: for the write-through check, keeping them is the safe side.
     */
    private void remove(Predicate<String> removal, String whiteout) {
        removals.add(removal);
        for (Iterator<String> it = files.iterator(); it.hasNext(); ) {
            String f = it.next();
            if (!filesThisLayer.contains(f) && removal.test(f)) {
                it.remove();
                removedThisLayer.put(f, whiteout);
            }
        }
    }

    private static boolean isRegular(TarArchiveEntry entry) {
        byte flag = entry.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG;
    }

    /** A digest stream whose skip reads, so that the bytes the tar reader skips (entry contents) are hashed too. */
    static final class ReadingDigestStream extends DigestInputStream {
        ReadingDigestStream(InputStream in, MessageDigest md) {
            super(in, md);
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
