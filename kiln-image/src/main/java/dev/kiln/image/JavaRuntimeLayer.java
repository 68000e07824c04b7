package dev.kiln.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer of a Java image: a runtime jlinked from a JDK ({@code jdeps} picks the modules unless the spec lists
 * them) at {@code /opt/java}, the jar at {@code /app/app.jar}, the host libraries the runtime's ELF files link
 * against (from {@code ldd}, copied to the paths {@code ldd} names), an empty {@code /tmp}, and the spec's own
 * files and links. {@code libjvm.so} shows as "not found" in {@code ldd} of the runtime's other libraries: they
 * find it through their {@code $ORIGIN} run path at run time, so a missing library that the runtime itself holds
 * is fine.
 */
final class JavaRuntimeLayer {
    static final String RUNTIME = "/opt/java";
    static final String JAR = "/app/app.jar";
    static final String JAVA = RUNTIME + "/bin/java";

    private static final Logger LOG = LoggerFactory.getLogger(JavaRuntimeLayer.class);
    private static final Pattern MODULE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
    /** {@code libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)}, {@code libjvm.so => not found}. */
    private static final Pattern LDD_ARROW = Pattern.compile("(\\S+) => (.+?)(?: \\(0x[0-9a-f]+\\))?");
    /** {@code /lib64/ld-linux-x86-64.so.2 (0x...)}: the interpreter; {@code linux-vdso.so.1 (0x...)} has no path. */
    private static final Pattern LDD_PATH = Pattern.compile("(/\\S+) \\(0x[0-9a-f]+\\)");

    /** What was built: the layer, and for the image's history the modules and the host libraries it holds. */
    record Built(ScratchLayer layer, List<String> modules, List<String> libraries) {
    }

    /** What {@code ldd} said of one file: host libraries by absolute path, and names it could not find. */
    record Needs(Set<String> libraries, Set<String> notFound) {
    }

    private final Path javaHome;
    private final Path ldd;
    private final Duration timeout;

    JavaRuntimeLayer(Path javaHome, Path ldd, Duration timeout) {
        this.javaHome = javaHome;
        this.ldd = ldd;
        this.timeout = timeout;
    }

    /** How the image runs the jar. */
    static List<String> entrypoint(BuildSpec.JavaApp app) {
        return app.mainClass().map(c -> List.of(JAVA, "-cp", JAR, c)).orElse(List.of(JAVA, "-jar", JAR));
    }

    /**
     * The environment a Java image gets (the spec's env wins). {@code LD_LIBRARY_PATH} lets {@code bin/java} find
     * {@code libjli.so} where {@code /proc} is not mounted: its {@code $ORIGIN} run path needs {@code /proc/self/exe}.
     */
    static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", RUNTIME + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("JAVA_HOME", RUNTIME);
        env.put("LD_LIBRARY_PATH", RUNTIME + "/lib");
        return env;
    }

    List<String> jdepsCommand(Path jar) {
        return List.of(tool("jdeps").toString(), "--print-module-deps", "--ignore-missing-deps", "--multi-release",
                Integer.toString(Runtime.version().feature()), jar.toString());
    }

    List<String> jlinkCommand(List<String> modules, Path output) {
        return List.of(tool("jlink").toString(), "--add-modules", String.join(",", modules), "--strip-debug",
                "--no-header-files", "--no-man-pages", "--generate-cds-archive", "--output", output.toString());
    }

    /** Runs jdeps (when needed), jlink and ldd in {@code work}, and lays out the image. */
    Built build(BuildSpec spec, BuildSpec.JavaApp app, Path work) {
        if (!Files.isExecutable(ldd)) {
            throw new ImageException(ImageError.BUILD_FAILED, ldd + " is not there; a Java image build runs it to"
                    + " find the libraries the runtime needs", "install libc-bin (Debian) or glibc");
        }
        if (!Files.isRegularFile(app.jar())) {
            throw BuildSpec.invalid("java: the jar " + app.jar() + " is not a file");
        }
        long start = System.nanoTime();
        List<String> modules = app.modules().isEmpty() ? modulesOf(app.jar(), work) : app.modules();
        Path runtime = work.resolve("runtime");
        HostCommand.run(jlinkCommand(modules, runtime), work.resolve("jlink.log"), timeout);
        long linked = System.nanoTime();
        Set<String> libraries = hostLibraries(runtime, work.resolve("ldd.log"));
        ScratchLayer layer = new ScratchLayer()
                .tree(RUNTIME, runtime, "the Java runtime (" + RUNTIME + ")")
                .directory("/tmp", 01777, "/tmp")
                .file(JAR, app.jar(), 0644, "the Java application (" + JAR + ")");
        for (String library : libraries) {
            try {
                layer.file(library, Path.of(library), ScratchLayer.mode(Path.of(library).toRealPath()),
                        "the shared library " + library);
            } catch (IOException e) {
                throw new ImageException(ImageError.BUILD_FAILED, "cannot read " + library + ": " + e.getMessage(), e);
            }
        }
        layer.add(spec);
        LOG.info("jlinked {} in {} ms; the runtime needs {} host libraries (ldd: {} ms)", modules,
                (linked - start) / 1_000_000, libraries.size(), (System.nanoTime() - linked) / 1_000_000);
        return new Built(layer, modules, List.copyOf(libraries));
    }

    private List<String> modulesOf(Path jar, Path work) {
        String output = HostCommand.run(jdepsCommand(jar), work.resolve("jdeps.log"), timeout);
        List<String> lines = output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty()) {
            return List.of("java.base");
        }
        List<String> modules = List.of(lines.getLast().split(","));
        if (!modules.stream().allMatch(m -> MODULE.matcher(m).matches())) {
            throw new ImageException(ImageError.BUILD_FAILED, "jdeps did not print a module list for " + jar + ":\n"
                    + HostCommand.tail(output), "list the modules under java: modules");
        }
        return modules;
    }

    /** The host libraries every ELF file of the runtime needs, by the absolute paths ldd found them at. */
    private Set<String> hostLibraries(Path runtime, Path log) {
        Set<String> inRuntime;
        List<Path> elves;
        try (Stream<Path> walk = Files.walk(runtime)) {
            List<Path> files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
            inRuntime = files.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            elves = new ArrayList<>();
            for (Path f : files) {
                if (isElf(f)) {
                    elves.add(f);
                }
            }
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot read the jlinked runtime: " + e.getMessage(), e);
        }
        Set<String> libraries = new TreeSet<>();
        for (Path elf : elves) {
            HostCommand.Result result = HostCommand.runAllowingFailure(List.of(ldd.toString(), elf.toString()), log,
                    timeout);
            if (result.exitCode() != 0 && !result.output().contains("not a dynamic executable")) {
                throw new ImageException(ImageError.BUILD_FAILED, "ldd " + elf + " failed (exit " + result.exitCode()
                        + "):\n" + HostCommand.tail(result.output()));
            }
            Needs needs = parseLdd(result.output());
            for (String name : needs.notFound()) {
                if (!inRuntime.contains(name)) {
                    throw new ImageException(ImageError.BUILD_FAILED, runtime.relativize(elf) + " of the jlinked runtime"
                            + " needs " + name + ", which ldd finds neither on this host nor in the runtime",
                            "install the library on the build host");
                }
            }
            needs.libraries().stream().filter(l -> !Path.of(l).normalize().startsWith(runtime)).forEach(libraries::add);
        }
        return libraries;
    }

    /** Reads ldd's output for one file (pure, for tests). */
    static Needs parseLdd(String output) {
        Set<String> libraries = new TreeSet<>();
        Set<String> notFound = new TreeSet<>();
        for (String line : output.lines().map(String::strip).toList()) {
            Matcher arrow = LDD_ARROW.matcher(line);
            Matcher path = LDD_PATH.matcher(line);
            if (arrow.matches()) {
                String to = arrow.group(2);
                if (to.equals("not found")) {
                    notFound.add(arrow.group(1));
                } else if (to.startsWith("/")) {
                    libraries.add(Path.of(to).normalize().toString());
                }
            } else if (path.matches()) {
                libraries.add(Path.of(path.group(1)).normalize().toString());
            }
        }
        return new Needs(libraries, notFound);
    }

    private static boolean isElf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        }
    }

    private Path tool(String name) {
        Path tool = javaHome.resolve("bin").resolve(name);
        if (!Files.isExecutable(tool)) {
            throw new ImageException(ImageError.BUILD_FAILED, "a Java image build needs " + name + ", which "
                    + javaHome + " lacks", "run kiln on a full JDK (not a JRE or a jlinked runtime)");
        }
        return tool;
    }
}
