package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import javax.tools.JavaCompiler;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Java image: a jar compiled here, a runtime jlinked from the JDK running the test (about 5 s), and the image
 * run with chroot as root, without {@code /proc}, as its config says.
 */
class JavaImageBuildTest {
    @TempDir
    Path tmp;

    @Test
    void buildsAndRunsAJavaImage() throws IOException {
        Path jar = helloJar();
        Path spec = Files.writeString(tmp.resolve("build.yaml"), """
                java: {jar: hello.jar}
                env: {GREETING: hello}
                cmd: [kiln]
                """);
        ImageStore store = ImageStore.open(tmp.resolve("store"));

        long start = System.nanoTime();
        ImportResult result = ImageBuild.forHost(store, Clock.systemUTC(), Duration.ofMinutes(5))
                .build(BuildSpec.read(spec), "hello-java:1");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("JavaImageBuildTest: jdeps + jlink + ldd + layer + import took " + took.toMillis()
                + " ms, image " + result.images().getFirst().size() + " bytes");

        ImageConfig config = store.inspect("hello-java:1").config();
        assertThat(config.entrypoint()).containsExactly("/opt/java/bin/java", "-jar", "/app/app.jar");
        assertThat(config.cmd()).containsExactly("kiln");
        assertThat(config.env()).contains("JAVA_HOME=/opt/java", "GREETING=hello", "LD_LIBRARY_PATH=/opt/java/lib");
        Path layer = BuiltImages.layer(store, "hello-java:1");
        Map<String, TarArchiveEntry> entries = BuiltImages.entries(layer);
        assertThat(entries).containsKeys("opt/java/bin/java", "opt/java/lib/server/libjvm.so", "opt/java/lib/modules",
                "opt/java/lib/server/classes.jsa", "app/app.jar", "lib64/ld-linux-x86-64.so.2", "tmp/");
        assertThat(entries.keySet()).anyMatch(name -> name.matches(".*lib.*/libc\\.so\\.6"));
        assertThat(entries.get("tmp/").getMode() & 07777).isEqualTo(01777);
        assertThat(entries.get("opt/java/bin/java").getMode() & 0111).isNotZero();

        BuiltImages.assumeChroot();
        Path root = BuiltImages.unpack(layer, tmp.resolve("root"));
        List<String> command = new ArrayList<>(config.entrypoint());
        command.addAll(config.cmd());
        BuiltImages.Run run = BuiltImages.chroot(root, command, config.env());
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).isEqualTo("hello kiln from Java " + Runtime.version().feature() + "\n");
    }

    @Test
    void anUnknownModuleFailsTheBuildAndAddsNothing() throws IOException {
        Files.writeString(tmp.resolve("app.jar"), "jdeps is not asked: the modules are listed");
        BuildSpec spec = BuildSpec.read(Files.writeString(tmp.resolve("build.yaml"), """
                java: {jar: app.jar, modules: [java.base, no.such.module]}
                """));
        ImageStore store = ImageStore.open(tmp.resolve("store"));
        assertThatThrownBy(() -> ImageBuild.forHost(store, Clock.systemUTC(), Duration.ofMinutes(2)).build(spec, "x:1"))
                .isInstanceOfSatisfying(ImageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ImageError.BUILD_FAILED);
                    assertThat(e.getMessage()).contains("jlink failed", "no.such.module");
                });
        assertThat(store.list()).isEmpty();
    }

    /** Compiles a main class that greets its first argument, and jars it with a Main-Class. */
    private Path helloJar() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src/demo"));
        Files.writeString(src.resolve("Hello.java"), """
                package demo;

                public class Hello {
                    public static void main(String[] args) {
                        System.out.println(System.getenv("GREETING") + " " + args[0] + " from Java "
                                + Runtime.version().feature());
                    }
                }
                """);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        int compiled = javac.run(null, null, null, "--release", "21", "-d", classes.toString(),
                src.resolve("Hello.java").toString());
        assertThat(compiled).as("javac").isZero();
        Path jar = tmp.resolve("hello.jar");
        StringWriter out = new StringWriter();
        int jarred = ToolProvider.findFirst("jar").orElseThrow().run(new PrintWriter(out), new PrintWriter(out),
                "--create", "--file", jar.toString(), "--main-class", "demo.Hello", "-C", classes.toString(), ".");
        assertThat(jarred).as("jar: " + out).isZero();
        return jar;
    }
}
