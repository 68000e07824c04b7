package dev.kiln.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Builds an image from a {@link BuildSpec} without any registry or container engine: {@code mmdebstrap} writes the
 * root file system as one tar (extra packages with {@code --include}, files with {@code upload} hooks, no device
 * nodes with {@code --skip=output/dev}); kiln adds the config and manifest, writes an OCI layout, and imports it,
 * so a built image passes the same verification as any import.
 */
public final class ImageBuild {
    private final ImageStore store;
    private final Path mmdebstrap;
    private final String mirror;
    private final Clock clock;
    private final Duration timeout;

    private ImageBuild(ImageStore store, Path mmdebstrap, String mirror, Clock clock, Duration timeout) {
        this.store = store;
        this.mmdebstrap = mmdebstrap;
        this.mirror = mirror;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Uses {@code /usr/bin/mmdebstrap} and the host apt's mirror (from {@code /etc/apt}). */
    public static ImageBuild forHost(ImageStore store, Clock clock, Duration timeout) {
        Path tool = Path.of("/usr/bin/mmdebstrap");
        if (!Files.isExecutable(tool)) {
            throw new ImageException(ImageError.BUILD_FAILED, "mmdebstrap is not installed", "apt-get install mmdebstrap");
        }
        String mirror = AptMirror.discover(Path.of("/etc/apt")).orElseThrow(() -> new ImageException(
                ImageError.BUILD_FAILED, "no Debian mirror found in /etc/apt/sources.list*",
                "configure apt (a deb line or a .sources file), or use ImageBuild.with(...) and pass a mirror"));
        return with(store, tool, mirror, clock, timeout);
    }

    public static ImageBuild with(ImageStore store, Path mmdebstrap, String mirror, Clock clock, Duration timeout) {
        return new ImageBuild(store, mmdebstrap, mirror, clock, timeout);
    }

    /** Builds the spec and imports it as {@code tag}; on any failure nothing is added to the store. */
    public ImportResult build(BuildSpec spec, String tag) {
        String name = ImageRef.parseTagged(tag).toString();
        Path work;
        try {
            work = Files.createTempDirectory("kiln-build-");
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot create a build directory: " + e.getMessage(), e);
        }
        try {
            Path layout = Files.createDirectories(work.resolve("layout"));
            Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
            Path rootfs = work.resolve("rootfs.tar");
            runMmdebstrap(spec, rootfs, work.resolve("mmdebstrap.log"));
            Digest layer = Digest.of(rootfs);
            long layerSize = Files.size(rootfs);
            Files.move(rootfs, blobs.resolve(layer.hex()));
            byte[] config = Json.bytes(config(spec, layer));
            Digest configDigest = Digest.of(config);
            Files.write(blobs.resolve(configDigest.hex()), config);
            byte[] manifest = Json.bytes(new Oci.Manifest(2, Oci.MANIFEST, Oci.Descriptor.of(Oci.CONFIG, configDigest,
                    config.length), List.of(Oci.Descriptor.of(Oci.LAYER_TAR, layer, layerSize)), Map.of()));
            Digest manifestDigest = Digest.of(manifest);
            Files.write(blobs.resolve(manifestDigest.hex()), manifest);
            Files.write(layout.resolve("oci-layout"), Json.bytes(new Oci.Layout(Oci.OCI_LAYOUT_VERSION)));
            Oci.Descriptor entry = new Oci.Descriptor(Oci.MANIFEST, manifestDigest.toString(), (long) manifest.length,
                    Map.of(Oci.REF_NAME, name), Oci.Platform.LINUX_AMD64, List.of());
            Files.write(layout.resolve("index.json"), Json.bytes(new Oci.Index(2, Oci.INDEX, List.of(entry), Map.of())));
            return store.importFrom(layout);
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot write the built image: " + e.getMessage(), e);
        } finally {
            Staging.deleteTree(work);
        }
    }

    /** The mmdebstrap command line (pure, for tests and for the build log). */
    List<String> command(BuildSpec spec, Path output) {
        List<String> cmd = new ArrayList<>(List.of(mmdebstrap.toString(), "--variant=minbase", "--mode=root",
                "--format=tar", "--skip=output/dev", "--quiet"));
        if (!spec.packages().isEmpty()) {
            cmd.add("--include=" + String.join(",", spec.packages()));
        }
        for (BuildSpec.FileCopy file : spec.files()) {
            String dir = file.target().substring(0, file.target().lastIndexOf('/'));
            if (!dir.isEmpty()) {
                cmd.add("--customize-hook=mkdir -p \"$1" + dir + "\"");
            }
            cmd.add("--customize-hook=upload " + file.source() + " " + file.target());
            cmd.add("--customize-hook=chmod " + file.mode() + " \"$1" + file.target() + "\"");
        }
        spec.workdir().ifPresent(w -> cmd.add("--customize-hook=mkdir -p \"$1" + w + "\""));
        cmd.addAll(List.of(spec.suite(), output.toString(), "deb " + mirror + " " + spec.suite() + " main"));
        return cmd;
    }

    private void runMmdebstrap(BuildSpec spec, Path output, Path log) {
        for (BuildSpec.FileCopy file : spec.files()) {
            if (file.source().toString().matches(".*\\s.*")) {
                throw new ImageException(ImageError.INVALID_BUILD_SPEC, "files: source " + file.source()
                        + " has white space, which mmdebstrap's upload hook cannot take");
            }
        }
        List<String> command = command(spec, output);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot start mmdebstrap: " + e.getMessage(), e);
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new ImageException(ImageError.BUILD_FAILED, "mmdebstrap did not finish within " + timeout
                        + "; last output:\n" + tail(log));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ImageException(ImageError.BUILD_FAILED, "interrupted while mmdebstrap ran", e);
        }
        if (process.exitValue() != 0 || !Files.isRegularFile(output)) {
            throw new ImageException(ImageError.BUILD_FAILED, "mmdebstrap failed (exit " + process.exitValue()
                    + "): " + String.join(" ", command) + "\n" + tail(log));
        }
    }

    private Map<String, Object> config(BuildSpec spec, Digest layer) {
        String created = clock.instant().toString();
        Map<String, Object> run = new LinkedHashMap<>();
        List<String> env = new ArrayList<>();
        if (!spec.env().containsKey("PATH")) {
            env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        run.put("Env", env);
        if (!spec.entrypoint().isEmpty()) {
            run.put("Entrypoint", spec.entrypoint());
        }
        if (!spec.cmd().isEmpty()) {
            run.put("Cmd", spec.cmd());
        }
        spec.workdir().ifPresent(w -> run.put("WorkingDir", w));
        spec.user().ifPresent(u -> run.put("User", u));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("created", created);
        config.put("architecture", "amd64");
        config.put("os", "linux");
        config.put("config", run);
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(layer.toString())));
        config.put("history", List.of(Map.of("created", created, "created_by",
                "kiln image build: mmdebstrap --variant=minbase " + spec.suite()
                        + (spec.packages().isEmpty() ? "" : " --include=" + String.join(",", spec.packages())))));
        return config;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
