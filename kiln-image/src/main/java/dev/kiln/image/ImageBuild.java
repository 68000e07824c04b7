package dev.kiln.image;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds an image from a {@link BuildSpec} without any registry or container engine. The spec's
 * {@link BuildSpec#kind() kind} picks how its one layer is made: {@code mmdebstrap} for a Debian image
 * ({@link Mmdebstrap}), kiln itself for a scratch image ({@link ScratchLayer}), jlink and ldd for a Java image
 * ({@link JavaRuntimeLayer}). Every kind then goes the same way: kiln adds the config and manifest, writes an OCI
 * layout and imports it, so a built image passes the same verification as any import.
 *
 * <pre>
 * ImageBuild build = ImageBuild.forHost(store, Clock.systemUTC(), Duration.ofMinutes(10));
 * build.build(BuildSpec.read(Path.of("build.yaml")), "hello:1");
 * build.build(BuildSpec.busybox(Path.of("/bin/busybox"), List.of("sh", "echo"), List.of(),
 *         List.of("/bin/sh", "-c"), List.of("echo hi")), "tiny:1");
 * </pre>
 */
public final class ImageBuild {
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final ImageStore store;
    private final Optional<Path> mmdebstrap;
    private final Optional<String> mirror;
    private final Path javaHome;
    private final Clock clock;
    private final Duration timeout;

    /** How one kind made its layer: what the config gets from the kind, and the history line. */
    private record Made(List<String> entrypoint, Map<String, String> env, String createdBy) {
    }

    /** One entry of the config's history; records keep the key order, so the same build gives the same bytes. */
    private record History(String created, @JsonProperty("created_by") String createdBy) {
    }

    private ImageBuild(ImageStore store, Optional<Path> mmdebstrap, Optional<String> mirror, Path javaHome,
                       Clock clock, Duration timeout) {
        this.store = store;
        this.mmdebstrap = mmdebstrap;
        this.mirror = mirror;
        this.javaHome = javaHome;
        this.clock = clock;
        this.timeout = timeout;
    }

    /**
     * Debian images with {@code /usr/bin/mmdebstrap} and the host apt's mirror (from {@code /etc/apt}), Java images
     * with the JDK kiln runs on. A missing tool fails only the builds that need it.
     */
    public static ImageBuild forHost(ImageStore store, Clock clock, Duration timeout) {
        Path tool = Path.of("/usr/bin/mmdebstrap");
        return new ImageBuild(store, Optional.of(tool).filter(Files::isExecutable), AptMirror.discover(Path.of("/etc/apt")),
                runningJdk(), clock, timeout);
    }

    /** Debian images with the given mmdebstrap and mirror, Java images with the JDK kiln runs on. */
    public static ImageBuild with(ImageStore store, Path mmdebstrap, String mirror, Clock clock, Duration timeout) {
        return new ImageBuild(store, Optional.of(mmdebstrap), Optional.of(mirror), runningJdk(), clock, timeout);
    }

    private static Path runningJdk() {
        return Path.of(System.getProperty("java.home"));
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
            Path layer = work.resolve("layer.tar");
            Made made = switch (spec.kind()) {
                case DEBIAN -> {
                    debian().run(spec, layer, work.resolve("mmdebstrap.log"));
                    yield new Made(spec.entrypoint(), Map.of(), "kiln image build: mmdebstrap --variant=minbase "
                            + spec.suite() + (spec.packages().isEmpty() ? "" : " --include="
                            + String.join(",", spec.packages())));
                }
                case SCRATCH -> {
                    ScratchLayer.of(spec).write(layer);
                    yield new Made(spec.entrypoint(), Map.of(), "kiln image build: scratch, " + spec.files().size()
                            + " files, " + spec.links().size() + " links");
                }
                case JAVA -> {
                    BuildSpec.JavaApp app = spec.java().orElseThrow();
                    JavaRuntimeLayer.Built built = new JavaRuntimeLayer(javaHome, Path.of("/usr/bin/ldd"), timeout)
                            .build(spec, app, work);
                    built.layer().write(layer);
                    yield new Made(JavaRuntimeLayer.entrypoint(app), JavaRuntimeLayer.env(),
                            "kiln image build: jlink --add-modules " + String.join(",", built.modules()) + " from "
                                    + Runtime.version() + ", " + built.libraries().size() + " host libraries, "
                                    + app.jar().getFileName());
                }
            };
            return importLayer(spec, made, layer, work.resolve("layout"), name);
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot write the built image: " + e.getMessage(), e);
        } finally {
            Staging.deleteTree(work);
        }
    }

    /** The mmdebstrap command line (pure, for tests and for the build log). */
    List<String> command(BuildSpec spec, Path output) {
        return debian().command(spec, output);
    }

    private Mmdebstrap debian() {
        Path tool = mmdebstrap.orElseThrow(() -> new ImageException(ImageError.BUILD_FAILED,
                "mmdebstrap is not installed; a Debian image needs it", "apt-get install mmdebstrap, or build from"
                + " suite: scratch"));
        String from = mirror.orElseThrow(() -> new ImageException(ImageError.BUILD_FAILED,
                "no Debian mirror found in /etc/apt/sources.list*",
                "configure apt (a deb line or a .sources file), or use ImageBuild.with(...) and pass a mirror"));
        return new Mmdebstrap(tool, from, timeout);
    }

    /** Writes a one-image OCI layout around {@code layerTar} and imports it through the normal import path. */
    private ImportResult importLayer(BuildSpec spec, Made made, Path layerTar, Path layout, String name)
            throws IOException {
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Digest layer = Digest.of(layerTar);
        long layerSize = Files.size(layerTar);
        Files.move(layerTar, blobs.resolve(layer.hex()));
        byte[] config = Json.bytes(config(spec, made, layer));
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
    }

    private Map<String, Object> config(BuildSpec spec, Made made, Digest layer) {
        String created = clock.instant().toString();
        Map<String, String> envMap = new LinkedHashMap<>();
        envMap.put("PATH", DEFAULT_PATH);
        envMap.putAll(made.env());
        envMap.putAll(spec.env());
        List<String> env = new ArrayList<>();
        envMap.forEach((k, v) -> env.add(k + "=" + v));
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("Env", env);
        if (!made.entrypoint().isEmpty()) {
            run.put("Entrypoint", made.entrypoint());
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
        config.put("rootfs", new Oci.RootFs("layers", List.of(layer.toString())));
        config.put("history", List.of(new History(created, made.createdBy())));
        return config;
    }
}
