package dev.kiln.image;

import java.util.ArrayList;
import java.util.List;

/** Normalizes tar entry names and hard-link targets, rejecting those that could leave the root. */
final class EntryPath {
    private EntryPath() {
    }

    /**
     * {@code ./a//b/} becomes {@code a/b}; the root itself ({@code ./}) becomes the empty string.
     *
     * @throws ImageException {@link ImageError#UNSAFE_ENTRY} for an absolute name, a {@code ..} component or a NUL
     */
    static String normalize(String raw, String where) {
        if (raw.indexOf('\0') >= 0) {
            throw unsafe(where, raw, "contains a NUL character");
        }
        if (raw.startsWith("/")) {
            throw unsafe(where, raw, "is an absolute path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : raw.split("/")) {
            if (part.equals("..")) {
                throw unsafe(where, raw, "has a '..' component");
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return String.join("/", parts);
    }

    /** {@code a/b/c} → {@code a}, {@code a/b}: the directories an unpacker walks through to reach the entry. */
    static List<String> parents(String path) {
        List<String> out = new ArrayList<>();
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            out.add(path.substring(0, i));
        }
        return out;
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    static String basename(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    static boolean isUnder(String path, String dir) {
        return dir.isEmpty() ? !path.isEmpty() : path.startsWith(dir + "/");
    }

    static ImageException unsafe(String where, String name, String why) {
        return new ImageException(ImageError.UNSAFE_ENTRY, where + ": entry '" + name + "' " + why);
    }
}
