package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildSpecTest {
    @TempDir
    Path tmp;

    @Test
    void readsYaml() throws IOException {
        Files.writeString(tmp.resolve("hello.sh"), "#!/bin/sh\necho hello\n");
        Path spec = Files.writeString(tmp.resolve("build.yaml"), """
                suite: bookworm
                packages: [busybox]
                files:
                  - {source: hello.sh, target: /usr/local/bin/hello, mode: "0755"}
                env: {GREETING: hi}
                workdir: /srv
                user: "1000:1000"
                entrypoint: [/usr/local/bin/hello]
                cmd: [world]
                """);
        BuildSpec read = BuildSpec.read(spec);
        assertThat(read.suite()).isEqualTo("bookworm");
        assertThat(read.packages()).containsExactly("busybox");
        assertThat(read.files()).singleElement().satisfies(f -> {
            assertThat(f.source()).isEqualTo(tmp.resolve("hello.sh"));
            assertThat(f.target()).isEqualTo("/usr/local/bin/hello");
            assertThat(f.mode()).isEqualTo("0755");
        });
        assertThat(read.env()).containsEntry("GREETING", "hi");
        assertThat(read.workdir()).contains("/srv");
        assertThat(read.user()).contains("1000:1000");
        assertThat(read.entrypoint()).containsExactly("/usr/local/bin/hello");
        assertThat(read.cmd()).containsExactly("world");

        List<String> command = ImageBuild.with(ImageStore.open(tmp.resolve("store")), Path.of("/usr/bin/mmdebstrap"),
                "http://deb.example/debian", Clock.systemUTC(), Duration.ofMinutes(5)).command(read, tmp.resolve("out.tar"));
        assertThat(command).contains("--variant=minbase", "--format=tar", "--skip=output/dev", "--include=busybox",
                "--customize-hook=upload " + tmp.resolve("hello.sh") + " /usr/local/bin/hello",
                "--customize-hook=chmod 0755 \"$1/usr/local/bin/hello\"");
        assertThat(command.subList(command.size() - 3, command.size()))
                .containsExactly("bookworm", tmp.resolve("out.tar").toString(), "deb http://deb.example/debian bookworm main");
    }

    @Test
    void readsJsonWithDefaults() throws IOException {
        BuildSpec read = BuildSpec.read(Files.writeString(tmp.resolve("b.json"), "{\"cmd\": [\"/bin/sh\"]}"));
        assertThat(read.suite()).isEqualTo("bookworm");
        assertThat(read.packages()).isEmpty();
        assertThat(read.workdir()).isEqualTo(Optional.empty());
    }

    @Test
    void rejectsBadSpecs() throws IOException {
        assertInvalid("sutie: bookworm\n", "unknown key 'sutie'");
        assertInvalid("packages: [\"busybox; rm -rf /\"]\n", "not a Debian package name");
        assertInvalid("files: [{source: missing.txt, target: /x}]\n", "is not a file");
        Files.writeString(tmp.resolve("f"), "x");
        assertInvalid("files: [{source: f, target: relative}]\n", "absolute path");
        assertInvalid("files: [{source: f, target: /a/../../etc/x}]\n", "without '..'");
        assertInvalid("files: [{source: f, target: /x, mode: rwx}]\n", "octal mode");
        assertInvalid("files: [{source: f, target: /x, owner: root}]\n", "unknown key 'owner'");
        assertInvalid("suite: \"bookworm main\"\n", "not a Debian suite");
        assertInvalid("env: {\"A B\": c}\n", "variable name");
        assertInvalid("cmd: {not: a list}\n", "not a valid build spec");
    }

    @Test
    void findsTheMirrorInAptSources() throws IOException {
        Path apt = Files.createDirectories(tmp.resolve("apt/sources.list.d"));
        Files.writeString(apt.resolve("debian.sources"), """
                Types: deb
                URIs: http://deb.example.org/debian-security
                Suites: bookworm-security
                Components: main

                Types: deb
                # a comment
                URIs: http://deb.example.org/debian
                Suites: bookworm bookworm-updates
                Components: main
                """);
        assertThat(AptMirror.discover(tmp.resolve("apt"))).contains("http://deb.example.org/debian");
        Files.writeString(tmp.resolve("apt/sources.list"), "# old style\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n");
        assertThat(AptMirror.discover(tmp.resolve("apt"))).contains("http://mirror.example/debian");
        assertThat(AptMirror.discover(tmp.resolve("nothing"))).isEmpty();
    }

    private void assertInvalid(String yaml, String messagePart) throws IOException {
        Path spec = Files.writeString(tmp.resolve("spec.yaml"), yaml);
        assertThatThrownBy(() -> BuildSpec.read(spec)).isInstanceOfSatisfying(ImageException.class, e -> {
            assertThat(e.code()).isEqualTo(ImageError.INVALID_BUILD_SPEC);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }
}
