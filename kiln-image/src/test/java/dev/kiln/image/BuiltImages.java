package dev.kiln.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;

/** Looks into built images: their single layer's entries, the layer unpacked, and a command run in it by chroot. */
final class BuiltImages {
    static final Path CHROOT = Path.of("/usr/sbin/chroot");

    private BuiltImages() {
    }

    /** The one layer blob of an image in the store. */
    static Path layer(ImageStore store, String reference) {
        ImageDetails details = store.inspect(reference);
        if (details.layers().size() != 1) {
            throw new AssertionError(reference + " has " + details.layers().size() + " layers, not 1");
        }
        return store.root().resolve("blobs/sha256/" + details.layers().getFirst().digest().hex());
    }

    /** The layer's entries by name, in tar order. */
    static Map<String, TarArchiveEntry> entries(Path layer) {
        Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(layer))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                entries.put(e.getName(), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** Skips the calling test, saying why, unless it can chroot (root, and chroot installed). */
    static void assumeChroot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "running the image with chroot needs root: skipped (the build itself was checked)");
        Assumptions.assumeTrue(Files.isExecutable(CHROOT), CHROOT + " is not installed: skipped");
    }

    /** Unpacks the layer with the host's tar, as root, keeping modes and owners. */
    static Path unpack(Path layer, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Run run = run(List.of("tar", "-xf", layer.toString(), "-C", dir.toString()), Map.of("PATH", "/usr/bin:/bin"));
        if (run.exit() != 0) {
            throw new AssertionError("tar failed: " + run.output());
        }
        return dir;
    }

    /** Runs {@code command} with {@code chroot dir}, with exactly the environment {@code env}. */
    static Run chroot(Path dir, List<String> command, List<String> env) {
        List<String> full = new ArrayList<>(List.of(CHROOT.toString(), dir.toString()));
        full.addAll(command);
        Map<String, String> map = new LinkedHashMap<>();
        for (String kv : env) {
            map.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return run(full, map);
    }

    record Run(int exit, String output) {
    }

    private static Run run(List<String> command, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish in 60 s: " + out);
            }
            return new Run(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
