package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a path inside a root directory as a process chrooted there would, without ever leaving the root:
 * each component is looked up in turn; a symbolic link is replaced by its target (an absolute target starts
 * again at the root, {@code ..} stops at the root), so a link such as {@code etc -> /etc} or
 * {@code x -> ../../..} resolves to a path under the root instead of out of it. The result contains no
 * symbolic links except, when not followed, the last component.
 *
 * <p>The check happens once, at resolution: a process inside the root that swaps a directory for a link in
 * between can still race it. Image layers are unpacked before any process runs, so they cannot race; for the
 * files API this is a documented limit (Java has no {@code openat2(RESOLVE_IN_ROOT)}).
 */
final class RootPath {
    private static final int MAX_LINKS = 40;

    private RootPath() {
    }

    /** The components of a slash-separated path, without empty and {@code .} components. */
    static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (!c.isEmpty() && !c.equals(".")) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * {@code path} (absolute or relative, both taken from the root) inside {@code root}; the last component is
     * followed when it is a link only if {@code followLast}. Components that do not exist are kept as they are.
     */
    static Path resolve(Path root, String path, boolean followLast) throws IOException {
        Deque<String> todo = new ArrayDeque<>(components(path));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.removeLast();
                }
                continue;
            }
            Path candidate = join(root, done).resolve(c);
            boolean last = todo.isEmpty();
            if ((last && !followLast) || !Files.isSymbolicLink(candidate)) {
                done.add(c);
                continue;
            }
            if (++links > MAX_LINKS) {
                throw new IOException("too many levels of symbolic links in " + path);
            }
            String target = Files.readSymbolicLink(candidate).toString();
            if (target.startsWith("/")) {
                done.clear();
            }
            List<String> parts = components(target);
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.push(parts.get(i));
            }
        }
        return join(root, done);
    }

    /** True when {@code path} exists as a directory, not as a link to one. */
    static boolean isRealDirectory(Path path) {
        return Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String part : parts) {
            p = p.resolve(part);
        }
        return p;
    }
}
