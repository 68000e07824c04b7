package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.spi.ToolProvider;

/** A small Java application compiled and jarred by the test, to build Java images from. */
final class JavaApps {
    private JavaApps() {
    }

    /** {@code dir/hello.jar}: prints {@code $GREETING <first argument> from Java <feature version>}. */
    static Path helloJar(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/demo"));
        Files.writeString(src.resolve("Hello.java"), """
                package demo;

                public class Hello {
                    public static void main(String[] args) {
                        System.out.println(System.getenv("GREETING") + " " + args[0] + " from Java "
                                + Runtime.version().feature());
                    }
                }
                """);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        int compiled = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "21",
                "-d", classes.toString(), src.resolve("Hello.java").toString());
        assertThat(compiled).as("javac").isZero();
        Path jar = dir.resolve("hello.jar");
        StringWriter out = new StringWriter();
        int jarred = ToolProvider.findFirst("jar").orElseThrow().run(new PrintWriter(out), new PrintWriter(out),
                "--create", "--file", jar.toString(), "--main-class", "demo.Hello", "-C", classes.toString(), ".");
        assertThat(jarred).as("jar: " + out).isZero();
        return jar;
    }
}
