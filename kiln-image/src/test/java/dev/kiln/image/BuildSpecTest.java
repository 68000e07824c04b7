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
    void readsAScratchSpecWithLinksAndAbsoluteSources() throws IOException {
        Path elsewhere = Files.writeString(Files.createDirectories(tmp.resolve("elsewhere")).resolve("tool"), "x");
        Files.writeString(tmp.resolve("index.html"), "<p>hi</p>");
        BuildSpec read = BuildSpec.read(Files.writeString(tmp.resolve("build.yaml"), """
                suite: scratch
                files:
                  - {source: %s, target: /bin/busybox, mode: "0755"}
                  - {source: index.html, target: /srv/www/index.html}
                links:
                  - {target: /bin/sh, to: busybox}
                  - {target: /usr/bin/env, to: ../../bin/busybox}
                workdir: /srv/www
                user: "65534"
                entrypoint: [/bin/sh]
                """.formatted(elsewhere)));
        assertThat(read.kind()).isEqualTo(BuildSpec.Kind.SCRATCH);
        assertThat(read.files()).extracting(BuildSpec.FileCopy::source).containsExactly(elsewhere, tmp.resolve("index.html"));
        assertThat(read.links()).containsExactly(new BuildSpec.Link("/bin/sh", "busybox"),
                new BuildSpec.Link("/usr/bin/env", "../../bin/busybox"));
        assertThat(ScratchLayer.of(read).paths()).containsExactly("bin", "bin/busybox", "bin/sh", "srv", "srv/www",
                "srv/www/index.html", "usr", "usr/bin", "usr/bin/env");
    }

    @Test
    void readsAJavaSpec() throws IOException {
        Files.writeString(tmp.resolve("app.jar"), "not really a jar");
        BuildSpec read = BuildSpec.read(Files.writeString(tmp.resolve("build.yaml"), """
                java: {jar: app.jar, mainClass: com.example.Main, modules: [java.base, java.net.http]}
                cmd: [--port, "8080"]
                """));
        assertThat(read.kind()).isEqualTo(BuildSpec.Kind.JAVA);
        assertThat(read.suite()).isEqualTo("scratch");
        BuildSpec.JavaApp app = read.java().orElseThrow();
        assertThat(app.jar()).isEqualTo(tmp.resolve("app.jar"));
        assertThat(app.modules()).containsExactly("java.base", "java.net.http");
        assertThat(JavaRuntimeLayer.entrypoint(app))
                .containsExactly("/opt/java/bin/java", "-cp", "/app/app.jar", "com.example.Main");
        assertThat(JavaRuntimeLayer.entrypoint(new BuildSpec.JavaApp(app.jar(), Optional.empty(), List.of())))
                .containsExactly("/opt/java/bin/java", "-jar", "/app/app.jar");

        JavaRuntimeLayer layer = new JavaRuntimeLayer(Path.of(System.getProperty("java.home")), Path.of("/usr/bin/ldd"),
                Duration.ofMinutes(1));
        assertThat(layer.jlinkCommand(app.modules(), tmp.resolve("rt"))).contains("--add-modules",
                "java.base,java.net.http", "--generate-cds-archive", "--strip-debug").endsWith("--output",
                tmp.resolve("rt").toString());
        assertThat(layer.jdepsCommand(app.jar())).contains("--print-module-deps", "--ignore-missing-deps")
                .endsWith(app.jar().toString());
    }

    @Test
    void rejectsBadCombinations() throws IOException {
        Files.writeString(tmp.resolve("f"), "x");
        Files.writeString(tmp.resolve("app.jar"), "x");
        assertInvalid("suite: scratch\npackages: [busybox]\nfiles: [{source: f, target: /f}]\n",
                "a scratch image has no Debian base");
        assertInvalid("suite: scratch\n", "the image would be empty");
        assertInvalid("suite: scratch\nfiles: [{source: f, target: /f}]\nuser: nobody\n", "must be numeric");
        assertInvalid("java: {jar: app.jar}\npackages: [curl]\n", "java and packages cannot be combined");
        assertInvalid("java: {jar: app.jar}\nsuite: bookworm\n", "built on suite: scratch, not 'bookworm'");
        assertInvalid("java: {jar: app.jar}\nentrypoint: [/bin/sh]\n", "java sets the entrypoint");
        assertInvalid("java: {jar: missing.jar}\n", "java: jar " + tmp.resolve("missing.jar") + " is not a file");
        assertInvalid("java: {mainClass: a.B}\n", "java: needs a jar");
        assertInvalid("java: {jar: app.jar, mainClass: \"a b\"}\n", "not a Java class name");
        assertInvalid("java: {jar: app.jar, modules: [\"java.base; rm\"]}\n", "not a module name");
        assertInvalid("java: {jar: app.jar, main: a.B}\n", "unknown key 'main'");
        assertInvalid("java: {jar: app.jar}\nfiles: [{source: f, target: /opt/java/bin/java}]\n",
                "files: /opt/java/bin/java lies under the Java runtime (/opt/java)");
        assertInvalid("java: {jar: app.jar}\nlinks: [{target: /app/app.jar, to: x.jar}]\n",
                "links: /app/app.jar is the same path as the Java application (/app/app.jar)");
        assertInvalid("suite: scratch\nfiles: [{source: f, target: /bin/sh}]\nlinks: [{target: /bin/sh, to: busybox}]\n",
                "links: /bin/sh is the same path as files: /bin/sh");
        assertInvalid("suite: scratch\nfiles: [{source: f, target: /lib/x}]\nlinks: [{target: /lib, to: usr/lib}]\n",
                "files: /lib/x lies under links: /lib, which is not a directory");
        assertInvalid("suite: scratch\nfiles: [{source: f, target: /srv}]\nworkdir: /srv/www\n",
                "workdir /srv/www lies under files: /srv");
        assertInvalid("links: [{target: /bin/sh}]\n", "needs 'to'");
        assertInvalid("links: [{target: /bin/sh, to: \"-rf\"}]\n", "not starting with '-'");
        assertInvalid("links: [{target: /bin/sh, to: \"a b\"}]\n", "needs 'to'");
        assertInvalid("links: [{target: /bin/, to: x}]\n", "trailing '/'");
        assertInvalid("links: [{target: /bin//sh, to: x}]\n", "'//'");
        assertInvalid("links: [{target: /bin/sh, to: x, mode: \"0777\"}]\n", "unknown key 'mode'");
        assertInvalid("packages: [busybox, null]\n", "packages has an empty entry");
    }

    @Test
    void busyboxSpecs() {
        Path busybox = Path.of("/bin/busybox");
        BuildSpec spec = BuildSpec.busybox(busybox, List.of("sh", "httpd"), List.of(), List.of("/bin/httpd", "-f"),
                List.of());
        assertThat(spec.suite()).isEqualTo("scratch");
        assertThat(spec.files()).containsExactly(new BuildSpec.FileCopy(busybox, "/bin/busybox", "0755"));
        assertThat(spec.links()).containsExactly(new BuildSpec.Link("/bin/sh", "busybox"),
                new BuildSpec.Link("/bin/httpd", "busybox"));
        assertThat(spec.entrypoint()).containsExactly("/bin/httpd", "-f");
        for (String bad : List.of("..", "a/b", "busybox", "")) {
            assertThatThrownBy(() -> BuildSpec.busybox(busybox, List.of(bad), List.of(), List.of(), List.of()))
                    .as(bad).isInstanceOfSatisfying(ImageException.class,
                            e -> assertThat(e.code()).isEqualTo(ImageError.INVALID_BUILD_SPEC));
        }
        assertThatThrownBy(() -> BuildSpec.busybox(busybox, List.of("sh", "sh"), List.of(), List.of(), List.of()))
                .hasMessageContaining("links: /bin/sh is the same path as links: /bin/sh");
    }

    @Test
    void debianImagesGetLinksToo() throws IOException {
        BuildSpec read = BuildSpec.read(Files.writeString(tmp.resolve("b.yaml"), """
                packages: [busybox]
                links: [{target: /usr/local/bin/sh, to: /bin/busybox}]
                """));
        assertThat(read.kind()).isEqualTo(BuildSpec.Kind.DEBIAN);
        List<String> command = ImageBuild.with(ImageStore.open(tmp.resolve("store")), Path.of("/usr/bin/mmdebstrap"),
                "http://deb.example/debian", Clock.systemUTC(), Duration.ofMinutes(5)).command(read, tmp.resolve("o.tar"));
        assertThat(command).containsSubsequence("--customize-hook=mkdir -p \"$1/usr/local/bin\"",
                "--customize-hook=ln -sfn -- /bin/busybox \"$1/usr/local/bin/sh\"");
    }

    @Test
    void readsWhatLddSays() {
        JavaRuntimeLayer.Needs needs = JavaRuntimeLayer.parseLdd("""
                \tlinux-vdso.so.1 (0x00007ffc1b3f4000)
                \tlibjvm.so => not found
                \tlibjava.so => /tmp/kiln-build-1/runtime/lib/../lib/libjava.so (0x00007f9ad0934000)
                \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa3554be000)
                \t/lib64/ld-linux-x86-64.so.2 (0x00007fa3556d8000)
                """);
        assertThat(needs.notFound()).containsExactly("libjvm.so");
        assertThat(needs.libraries()).containsExactly("/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
                "/tmp/kiln-build-1/runtime/lib/libjava.so");
        assertThat(JavaRuntimeLayer.parseLdd("\tstatically linked\n").libraries()).isEmpty();
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
