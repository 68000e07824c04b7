package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scratch builds: no root, no network, no mmdebstrap; the layer is kiln's own and reproducible. */
class ScratchBuildTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    Path tmp;

    @Test
    void theSameSpecGivesTheSameDigest() throws IOException {
        Path script = Files.writeString(tmp.resolve("hello.sh"), "#!/bin/sh\necho hello\n");
        Path data = Files.writeString(tmp.resolve("data.txt"), "data\n");
        String deep = "/srv/" + "nested/".repeat(16) + "data.txt";
        Path spec = Files.writeString(tmp.resolve("build.yaml"), """
                suite: scratch
                files:
                  - {source: hello.sh, target: /usr/local/bin/hello, mode: "0755"}
                  - {source: %s, target: %s}
                links:
                  - {target: /usr/bin/hello, to: ../local/bin/hello}
                workdir: /srv
                user: "1000:1000"
                entrypoint: [/usr/local/bin/hello]
                """.formatted(data, deep));

        ImportResult first = build(BuildSpec.read(spec), "first", CLOCK);
        Files.setLastModifiedTime(script, FileTime.from(Instant.parse("2030-05-05T05:05:05Z")));
        ImportResult second = build(BuildSpec.read(spec), "second", CLOCK);
        ImportResult later = build(BuildSpec.read(spec), "later", Clock.offset(CLOCK, Duration.ofDays(1)));

        assertThat(second.images().getFirst().digest()).as("same spec, same clock: same image")
                .isEqualTo(first.images().getFirst().digest());
        assertThat(layerDigest("later", later)).as("the layer does not depend on the clock")
                .isEqualTo(layerDigest("first", first));
        assertThat(later.images().getFirst().digest()).isNotEqualTo(first.images().getFirst().digest());

        Map<String, TarArchiveEntry> entries = BuiltImages.entries(BuiltImages.layer(store("first"), "scratch:1"));
        assertThat(entries.keySet()).startsWith("srv/", "srv/nested/").contains("usr/", "usr/bin/", "usr/local/",
                "usr/local/bin/", "usr/local/bin/hello", "usr/bin/hello", deep.substring(1));
        assertThat(entries.keySet()).containsSubsequence("usr/", "usr/bin/", "usr/bin/hello", "usr/local/",
                "usr/local/bin/", "usr/local/bin/hello");
        for (TarArchiveEntry e : entries.values()) {
            assertThat(e.getLongUserId()).as(e.getName()).isZero();
            assertThat(e.getLongGroupId()).as(e.getName()).isZero();
            assertThat(e.getModTime().getTime()).as(e.getName()).isZero();
            assertThat(e.getUserName()).as(e.getName()).isEmpty();
            if (e.isDirectory()) {
                assertThat(e.getMode() & 07777).as(e.getName()).isEqualTo(0755);
            }
        }
        assertThat(entries.get("usr/local/bin/hello").getMode() & 07777).isEqualTo(0755);
        assertThat(entries.get(deep.substring(1)).getMode() & 07777).isEqualTo(0644);
        assertThat(entries.get("usr/bin/hello").isSymbolicLink()).isTrue();
        assertThat(entries.get("usr/bin/hello").getLinkName()).isEqualTo("../local/bin/hello");

        ImageConfig config = store("first").inspect("scratch:1").config();
        assertThat(config.entrypoint()).containsExactly("/usr/local/bin/hello");
        assertThat(config.user()).contains("1000:1000");
        assertThat(config.workingDir()).contains("/srv");
    }

    @Test
    void aBusyboxImageRunsInAChroot() {
        Assumptions.assumeTrue(Files.isRegularFile(BUSYBOX), BUSYBOX + " is not installed (apt-get install"
                + " busybox-static): skipped");
        BuildSpec spec = BuildSpec.busybox(BUSYBOX, List.of("sh", "echo", "tr", "cat", "ls"),
                List.of(new BuildSpec.FileCopy(tmp.resolve("greeting"), "/etc/greeting", "0600")),
                List.of("/bin/sh", "-c"), List.of("cat /etc/greeting | tr a-z A-Z"));
        assertThat(spec.kind()).isEqualTo(BuildSpec.Kind.SCRATCH);
        assertThatThrownBy(() -> build(spec, "missing", CLOCK))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ImageError.INVALID_BUILD_SPEC);
                    assertThat(e.getMessage()).contains("files: /etc/greeting", "is not a file");
                });
        assertThat(store("missing").list()).isEmpty();

        write(tmp.resolve("greeting"), "hello from scratch\n");
        build(spec, "busybox", CLOCK);
        ImageStore store = store("busybox");
        Path layer = BuiltImages.layer(store, "scratch:1");
        Map<String, TarArchiveEntry> entries = BuiltImages.entries(layer);
        assertThat(entries.keySet()).containsExactly("bin/", "bin/busybox", "bin/cat", "bin/echo", "bin/ls", "bin/sh",
                "bin/tr", "etc/", "etc/greeting");
        assertThat(entries.get("bin/sh").getLinkName()).isEqualTo("busybox");
        assertThat(entries.get("etc/greeting").getMode() & 07777).isEqualTo(0600);

        BuiltImages.assumeChroot();
        ImageConfig config = store.inspect("scratch:1").config();
        Path root = BuiltImages.unpack(layer, tmp.resolve("root"));
        List<String> command = new java.util.ArrayList<>(config.entrypoint());
        command.addAll(config.cmd());
        BuiltImages.Run run = BuiltImages.chroot(root, command, config.env());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).isEqualTo("HELLO FROM SCRATCH\n");
    }

    @Test
    void scratchBuildsNeedNoMmdebstrap() throws IOException {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        ImageBuild build = ImageBuild.with(store("no-tool"), tmp.resolve("no-such-mmdebstrap"), "http://deb.example",
                CLOCK, Duration.ofMinutes(1));
        build.build(new BuildSpec("scratch", List.of(), List.of(new BuildSpec.FileCopy(file, "/f", null)), List.of(),
                Map.of(), Optional.empty(), Optional.empty(), List.of(), List.of(), Optional.empty()), "x:1");
        assertThat(store("no-tool").inspect("x:1").layers()).hasSize(1);

        BuildSpec debian = BuildSpec.read(Files.writeString(tmp.resolve("d.yaml"), "cmd: [/bin/sh]\n"));
        assertThatThrownBy(() -> build.build(debian, "d:1")).isInstanceOfSatisfying(ImageException.class,
                e -> assertThat(e.code()).isEqualTo(ImageError.BUILD_FAILED));
    }

    private ImportResult build(BuildSpec spec, String storeName, Clock clock) {
        return ImageBuild.forHost(store(storeName), clock, Duration.ofMinutes(2)).build(spec, "scratch:1");
    }

    private Digest layerDigest(String storeName, ImportResult result) {
        return store(storeName).inspect(result.images().getFirst().digest().toString()).layers().getFirst().digest();
    }

    private ImageStore store(String name) {
        return ImageStore.open(tmp.resolve("stores").resolve(name));
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
