package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real, tiny build: mmdebstrap's minbase bookworm plus busybox and one file, from the host's apt mirror
 * (about 20 s and 170 MB here). Leave it out with {@code -Dsurefire.excludedGroups=slow}.
 */
@Tag("slow")
class ImageBuildSlowTest {
    @TempDir
    Path tmp;

    @Test
    void buildsATinyDebianImage() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "image builds run mmdebstrap --mode=root, which needs root: skipped");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/mmdebstrap")),
                "mmdebstrap is not installed (apt-get install mmdebstrap): skipped");
        Files.writeString(tmp.resolve("hello.sh"), "#!/bin/sh\necho \"hello $1\"\n");
        BuildSpec spec = BuildSpec.read(Files.writeString(tmp.resolve("build.yaml"), """
                suite: bookworm
                packages: [busybox]
                files:
                  - {source: hello.sh, target: /usr/local/bin/hello, mode: "0755"}
                links:
                  - {target: /usr/local/bin/hi, to: hello}
                env: {GREETING: hi}
                workdir: /srv
                entrypoint: [/usr/local/bin/hello]
                cmd: [world]
                """));
        ImageStore store = ImageStore.open(tmp.resolve("store"));
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

        long start = System.nanoTime();
        ImportResult result = ImageBuild.forHost(store, clock, Duration.ofMinutes(8)).build(spec, "built:1");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("ImageBuildSlowTest: mmdebstrap build + import took " + took.toMillis() + " ms, image "
                + result.images().getFirst().size() + " bytes");

        ImageDetails details = store.inspect("built:1");
        assertThat(details.layers()).singleElement().satisfies(l -> assertThat(l.mediaType()).isEqualTo(Oci.LAYER_TAR));
        assertThat(details.config().entrypoint()).containsExactly("/usr/local/bin/hello");
        assertThat(details.config().workingDir()).contains("/srv");
        assertThat(details.config().env()).contains("GREETING=hi");
        assertThat(details.config().created()).contains(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(store.root().resolve(".kiln-tmp")).isEmptyDirectory();

        Path layer = store.root().resolve("blobs/sha256/" + details.layers().getFirst().digest().hex());
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(layer))) {
            boolean found = false;
            boolean linked = false;
            for (var entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                if (entry.getName().equals("./usr/local/bin/hello")) {
                    assertThat(entry.getMode() & 07777).isEqualTo(0755);
                    assertThat(new String(tar.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).contains("hello");
                    found = true;
                }
                if (entry.getName().equals("./usr/local/bin/hi")) {
                    assertThat(entry.isSymbolicLink()).isTrue();
                    assertThat(entry.getLinkName()).isEqualTo("hello");
                    linked = true;
                }
                assertThat(entry.isCharacterDevice() || entry.isBlockDevice()).as(entry.getName()).isFalse();
            }
            assertThat(found).as("the uploaded file is in the layer").isTrue();
            assertThat(linked).as("the link is in the layer").isTrue();
        }
    }
}
