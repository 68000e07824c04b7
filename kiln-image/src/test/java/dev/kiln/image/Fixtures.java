package dev.kiln.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds test images in the three import formats, from tiny layers written with Commons Compress. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /** A tar written in memory, entry by entry. */
    static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

        Tar() {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        Tar dir(String name) {
            return entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, 0755, new byte[0], "");
        }

        Tar file(String name, String content) {
            return file(name, content.getBytes(StandardCharsets.UTF_8));
        }

        Tar file(String name, byte[] content) {
            return entry(name, TarConstants.LF_NORMAL, 0644, content, "");
        }

        Tar file(String name, String content, int mode) {
            return entry(name, TarConstants.LF_NORMAL, mode, content.getBytes(StandardCharsets.UTF_8), "");
        }

        Tar symlink(String name, String target) {
            return entry(name, TarConstants.LF_SYMLINK, 0777, new byte[0], target);
        }

        Tar hardlink(String name, String target) {
            return entry(name, TarConstants.LF_LINK, 0644, new byte[0], target);
        }

        Tar charDevice(String name) {
            return entry(name, TarConstants.LF_CHR, 0666, new byte[0], "");
        }

        Tar blockDevice(String name) {
            return entry(name, TarConstants.LF_BLK, 0660, new byte[0], "");
        }

        Tar fifo(String name) {
            return entry(name, TarConstants.LF_FIFO, 0644, new byte[0], "");
        }

        private Tar entry(String name, byte type, int mode, byte[] content, String link) {
            try {
                TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
                entry.setMode(mode);
                entry.setSize(content.length);
                entry.setLinkName(link);
                entry.setModTime(0);
                out.putArchiveEntry(entry);
                out.write(content);
                out.closeArchiveEntry();
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] bytes() {
            try {
                out.finish();
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
    }

    record Blob(String mediaType, byte[] bytes) {
        String digest() {
            return Digest.of(bytes).toString();
        }

        String hex() {
            return Digest.of(bytes).hex();
        }

        Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", mediaType);
            d.put("digest", digest());
            d.put("size", bytes.length);
            return d;
        }
    }

    /** An image's blobs: uncompressed layer tars, and how they are stored. */
    record Image(Blob manifest, Blob config, List<Blob> layers, List<byte[]> diffs) {
        List<Blob> blobs() {
            List<Blob> all = new ArrayList<>(List.of(manifest, config));
            all.addAll(layers);
            return all;
        }
    }

    /** The standard test image: two layers with a whiteout, an opaque marker and symlinks (absolute and relative). */
    static List<byte[]> standardLayers() {
        byte[] base = new Tar()
                .dir("./")
                .dir("bin").file("bin/hello", "#!/bin/sh\necho hello\n").symlink("bin/sh", "/bin/busybox")
                .dir("etc").file("etc/hello.txt", "hello\n").file("etc/old.conf", "old\n")
                .dir("usr").dir("usr/lib").file("usr/lib/foo", "foo\n")
                .hardlink("usr/lib/foo-again", "usr/lib/foo")
                .bytes();
        byte[] top = new Tar()
                .file("usr/lib/.wh.foo", "")
                .file("etc/.wh..wh..opq", "")
                .file("etc/new.txt", "new\n")
                .symlink("etc/lib", "../usr/lib")
                .bytes();
        return List.of(base, top);
    }

    static Image image(List<byte[]> diffs, boolean gzip) {
        return image(diffs, gzip, "amd64", Map.of());
    }

    static Image image(List<byte[]> diffs, boolean gzip, String architecture, Map<String, Object> extraConfig) {
        List<Blob> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (byte[] diff : diffs) {
            diffIds.add(Digest.of(diff).toString());
            layers.add(gzip ? new Blob(Oci.LAYER_TAR_GZIP, gzip(diff)) : new Blob(Oci.LAYER_TAR, diff));
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("Entrypoint", List.of("/bin/hello"));
        run.put("Cmd", List.of("world"));
        run.put("Env", List.of("PATH=/usr/bin:/bin", "GREETING=hi"));
        run.put("WorkingDir", "/srv");
        run.put("User", "1000:1000");
        run.put("ExposedPorts", Map.of("8080/tcp", Map.of()));
        run.put("Labels", Map.of("org.example", "yes"));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("created", "2025-01-02T03:04:05Z");
        config.put("architecture", architecture);
        config.put("os", "linux");
        config.put("config", run);
        config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
        config.putAll(extraConfig);
        Blob configBlob = new Blob(Oci.CONFIG, json(config));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", Oci.MANIFEST);
        manifest.put("config", configBlob.descriptor());
        manifest.put("layers", layers.stream().map(Blob::descriptor).toList());
        return new Image(new Blob(Oci.MANIFEST, json(manifest)), configBlob, layers, diffs);
    }

    /** An index entry: a descriptor plus annotations. */
    static Map<String, Object> entry(Blob blob, Map<String, String> annotations) {
        Map<String, Object> d = blob.descriptor();
        if (!annotations.isEmpty()) {
            d.put("annotations", annotations);
        }
        return d;
    }

    /** Writes an OCI layout with the given index entries and every blob of the images. */
    static Path ociLayout(Path dir, List<Map<String, Object>> entries, List<Blob> blobs) {
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.write(dir.resolve("oci-layout"), json(Map.of("imageLayoutVersion", "1.0.0")));
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("schemaVersion", 2);
            index.put("mediaType", Oci.INDEX);
            index.put("manifests", entries);
            Files.write(dir.resolve("index.json"), json(index));
            for (Blob blob : blobs) {
                Files.write(dir.resolve("blobs/sha256/" + blob.hex()), blob.bytes());
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path ociLayout(Path dir, Image image, String refName) {
        return ociLayout(dir, List.of(entry(image.manifest(), Map.of(Oci.REF_NAME, refName))), image.blobs());
    }

    /** A tar (or tar.gz) of a directory, files in sorted order. */
    static Path tarOf(Path dir, Path target, boolean gzip) {
        Tar tar = new Tar();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted().toList()) {
                String name = dir.relativize(p).toString();
                if (name.isEmpty()) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    tar.dir(name);
                } else {
                    tar.file(name, Files.readAllBytes(p));
                }
            }
            byte[] bytes = tar.bytes();
            Files.write(target, gzip ? gzip(bytes) : bytes);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The legacy {@code docker save} format: {@code manifest.json}, {@code <id>.json} configs and
     * {@code <layer-id>/layer.tar}; a layer an earlier image has is a symlink to it, as docker writes it.
     */
    static Path dockerSaveLegacy(Path target, List<Image> images, List<List<String>> repoTags) {
        Tar tar = new Tar();
        List<Map<String, Object>> manifest = new ArrayList<>();
        Map<String, String> written = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            Image image = images.get(i);
            List<String> layerPaths = new ArrayList<>();
            for (byte[] diff : image.diffs()) {
                String diffHex = Digest.of(diff).hex();
                String id = Digest.of(("v1-" + i + "-" + diffHex).getBytes(StandardCharsets.UTF_8)).hex();
                tar.dir(id);
                tar.file(id + "/VERSION", "1.0");
                if (written.containsKey(diffHex)) {
                    tar.symlink(id + "/layer.tar", "../" + written.get(diffHex) + "/layer.tar");
                } else {
                    tar.file(id + "/layer.tar", diff);
                    written.put(diffHex, id);
                }
                layerPaths.add(id + "/layer.tar");
            }
            tar.file(image.config().hex() + ".json", image.config().bytes());
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Config", image.config().hex() + ".json");
            entry.put("RepoTags", repoTags.get(i));
            entry.put("Layers", layerPaths);
            manifest.add(entry);
        }
        tar.file("manifest.json", json(manifest));
        try {
            Files.write(target, tar.bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file and directory under {@code root} with the sha256 of its content: to prove nothing changed. */
    static Map<String, String> snapshot(Path root) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                String name = root.relativize(p).toString();
                out.put(name, Files.isDirectory(p) ? "dir" : Digest.of(Files.readAllBytes(p)).toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
