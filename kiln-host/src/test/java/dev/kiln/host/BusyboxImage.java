package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A tiny container image for tests, written as an OCI image layout directory: the host's static busybox with a
 * few applet links, a web root, and extra files. Made here, from the spec, so the tests need no registry.
 */
final class BusyboxImage {
    static final List<String> APPLETS = List.of("sh", "echo", "cat", "ls", "sleep", "head", "tr", "httpd", "wget",
            "env", "id", "hostname", "yes", "dd", "true", "false");

    private BusyboxImage() {}

    /** Writes the layout to {@code dir} with the name {@code ref} (e.g. {@code busybox:test}). */
    static Path write(Path dir, String ref, Map<String, String> files) throws IOException {
        ObjectMapper json = Json.mapper();
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        byte[] layer = layer(files);
        String layerDigest = blob(dir, layer);
        ObjectNode config = json.createObjectNode().put("architecture", "amd64").put("os", "linux");
        ObjectNode cfg = config.putObject("config");
        cfg.putArray("Env").add("PATH=/bin");
        cfg.putArray("Cmd").add("sh");
        cfg.put("WorkingDir", "/");
        ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
        rootfs.putArray("diff_ids").add(layerDigest);
        byte[] configBytes = json.writeValueAsBytes(config);
        String configDigest = blob(dir, configBytes);
        ObjectNode manifest = json.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", configDigest).put("size", configBytes.length);
        manifest.putArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar")
                .put("digest", layerDigest).put("size", layer.length);
        byte[] manifestBytes = json.writeValueAsBytes(manifest);
        String manifestDigest = blob(dir, manifestBytes);
        ObjectNode index = json.createObjectNode().put("schemaVersion", 2);
        index.putArray("manifests").addObject().put("mediaType", "application/vnd.oci.image.manifest.v1+json")
                .put("digest", manifestDigest).put("size", manifestBytes.length)
                .putObject("annotations").put("org.opencontainers.image.ref.name", ref);
        Files.write(dir.resolve("index.json"), json.writeValueAsBytes(index));
        return dir;
    }

    private static byte[] layer(Map<String, String> files) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            dir(tar, "bin/");
            dir(tar, "etc/");
            dir(tar, "www/");
            dir(tar, "tmp/");
            file(tar, "bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755);
            for (String applet : APPLETS) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
                link.setLinkName("busybox");
                tar.putArchiveEntry(link);
                tar.closeArchiveEntry();
            }
            file(tar, "etc/passwd", "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
                    .getBytes(StandardCharsets.UTF_8), 0644);
            file(tar, "etc/group", "root:x:0:\nnogroup:x:65534:\n".getBytes(StandardCharsets.UTF_8), 0644);
            file(tar, "www/index.html", "hello from a container in a microVM\n".getBytes(StandardCharsets.UTF_8), 0644);
            for (var e : files.entrySet()) {
                file(tar, e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8), 0755);
            }
        }
        return bytes.toByteArray();
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(0100000 | mode);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static String blob(Path dir, byte[] content) throws IOException {
        try {
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            Files.write(dir.resolve("blobs/sha256/" + hex), content);
            return "sha256:" + hex;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
