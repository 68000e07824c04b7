package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with a real OCI tool: umoci (Debian package {@code umoci}) builds a layout that kiln imports, and
 * reads kiln's store back as a layout. Skipped, with the reason shown, where umoci is not installed.
 */
class UmociInteropTest {
    private static final Path UMOCI = Path.of("/usr/bin/umoci");

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsUmoci() {
        Assumptions.assumeTrue(Files.isExecutable(UMOCI),
                "umoci is not installed (apt-get install umoci): skipping the interop test with a real OCI layout");
    }

    @Test
    void importsWhatUmociBuildsAndUmociReadsTheStore() throws IOException {
        Path layout = tmp.resolve("layout");
        Path bundle = tmp.resolve("bundle");
        run("init", "--layout", layout.toString());
        run("new", "--image", layout + ":latest");
        run("unpack", "--rootless", "--image", layout + ":latest", bundle.toString());
        Path rootfs = bundle.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.writeString(rootfs.resolve("bin/hello"), "#!/bin/sh\necho hello\n");
        Files.createSymbolicLink(rootfs.resolve("bin/hi"), Path.of("/bin/hello"));
        run("repack", "--image", layout + ":latest", bundle.toString());
        run("config", "--image", layout + ":latest", "--config.entrypoint", "/bin/hello", "--config.workingdir", "/srv",
                "--config.env", "A=b");

        ImageStore store = ImageStore.open(tmp.resolve("store"));
        store.importFrom(layout, List.of("umoci-made:1"));

        ImageDetails details = store.inspect("umoci-made:1");
        assertThat(details.config().entrypoint()).containsExactly("/bin/hello");
        assertThat(details.config().workingDir()).contains("/srv");
        assertThat(details.config().env()).contains("A=b");
        assertThat(details.layers()).hasSize(1);

        // kiln's store is itself an OCI layout: umoci can read the image back by its ref.name
        String stat = run("stat", "--image", store.root() + ":umoci-made:1");
        assertThat(stat).contains("umoci repack");
    }

    private String run(String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(UMOCI.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("umoci " + String.join(" ", args) + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("umoci %s: %s", String.join(" ", args), output).isZero();
        return output;
    }
}
