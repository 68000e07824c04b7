package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Puts the guest agent into a staged root filesystem: a runtime jlinked from the host's JDK, the agent jar, runc,
 * iproute2's {@code ip}, the shared libraries they load (found with {@code ldd}, copied to the same absolute paths), the JVM options
 * file, and an ahead-of-time cache made by a training run of the agent on the host (JDK 25's AOT cache; the
 * guest then starts the agent several times faster under emulation). Everything the guest's init needs to know
 * is in {@link GuestProtocol}.
 */
final class AgentStager {
    /** The agent jar inside kiln-guest's own jar, put there by the build from the kiln-agent module. */
    static final String BUNDLED_AGENT = "agent/kiln-agent.jar";

    /**
     * The JVM's modules the agent needs. {@code jdeps --print-module-deps} also names java.desktop and java.sql,
     * which only code paths the agent never takes refer to (commons-lang3, Jackson's optional java.sql support).
     */
    static final List<String> JRE_MODULES = List.of("java.base", "java.net.http", "jdk.httpserver");

    /**
     * The agent's JVM options, in the guest's {@code jvm.options} argument file. The training run uses the same
     * file, because an AOT cache is only used by a JVM started with compatible options. C1 only: under TCG the
     * C2 compiler's work costs more than it returns for a small, mostly idle server. No cached adapters: with an
     * AOT cache, JDK 25 turns on {@code AOTAdapterCaching}, which stores machine code made for the build host's CPU
     * (AVX-512 here); the guest's emulated CPU lacks those instructions and the agent died of SIGILL. Native access:
     * a clone of a snapshot reseeds the kernel's random generator through ioctls (the foreign function API).
     */
    static final List<String> JVM_OPTIONS = List.of(
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx96m", "-Xss512k", "-XX:-UsePerfData",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTAdapterCaching", "-XX:-AOTStubCaching",
            "--enable-native-access=ALL-UNNAMED");

    private static final Pattern LDD_LINE = Pattern.compile("^\\s*(?:\\S+\\s+=>\\s+)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)\\s*$");

    private final Tools tools;

    AgentStager(Tools tools) {
        this.tools = tools;
    }

    /** The bundled agent jar's bytes; an installation without it cannot build agent images. */
    static byte[] bundledAgent() {
        try (InputStream in = AgentStager.class.getResourceAsStream(BUNDLED_AGENT)) {
            if (in == null) {
                throw new GuestException(GuestError.BUILD_FAILED,
                        "the guest agent (" + BUNDLED_AGENT + ") is missing from the kiln-guest jar",
                        "build kiln with './mvnw install' (or run ./kiln, which builds it); a 'test'-phase build does "
                                + "not package the agent");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot read the bundled guest agent", e);
        }
    }

    /** Checks the host inputs before anything is built. */
    static void check(GuestAgentOptions options) {
        Path jlink = options.jdkHome().resolve("bin/jlink");
        if (!Files.isExecutable(jlink)) {
            throw new GuestException(GuestError.TOOL_MISSING, "no jlink at " + jlink
                    + ": the guest agent's runtime is linked from a full JDK 25",
                    "run kiln with a JDK 25 (JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64), not a JRE");
        }
        if (!Files.isRegularFile(options.runc()) || !Files.isExecutable(options.runc())) {
            throw new GuestException(GuestError.TOOL_MISSING, "no runc at " + options.runc()
                    + ": the guest runs containers with it", "apt-get install runc");
        }
        if (!Files.isRegularFile(options.ip()) || !Files.isExecutable(options.ip())) {
            throw new GuestException(GuestError.TOOL_MISSING, "no iproute2 ip at " + options.ip()
                    + ": the guest gives cluster pods their own network with it", "apt-get install iproute2");
        }
    }

    void stage(Path root, GuestAgentOptions options, byte[] agentJar, ProgressListener progress) throws IOException {
        Path jre = root.resolve(GuestProtocol.AGENT_JRE.substring(1));
        Path agentDir = root.resolve(GuestProtocol.AGENT_DIR.substring(1));
        progress.step("Linking the guest agent's Java runtime (" + JRE_MODULES.size() + " modules)");
        Files.createDirectories(jre.getParent());
        tools.run(List.of(options.jdkHome().resolve("bin/jlink").toString(),
                "--add-modules", String.join(",", JRE_MODULES), "--strip-debug", "--no-man-pages",
                "--no-header-files", "--output", jre.toString()), "link the guest agent's Java runtime");
        Files.createDirectories(agentDir);
        Path jar = agentDir.resolve(GuestProtocol.AGENT_JAR_NAME);
        Files.write(jar, agentJar);
        Files.writeString(agentDir.resolve(GuestProtocol.AGENT_JVM_OPTIONS_NAME),
                String.join("\n", JVM_OPTIONS) + "\n", StandardCharsets.UTF_8);
        Path runc = root.resolve(GuestProtocol.RUNC.substring(1));
        Files.createDirectories(runc.getParent());
        Files.copy(options.runc(), runc, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(runc, RootfsBuilder.permissions(0755));
        Path ip = root.resolve(GuestProtocol.IPROUTE.substring(1));
        Files.createDirectories(ip.getParent());
        Files.copy(options.ip(), ip, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(ip, RootfsBuilder.permissions(0755));
        progress.step("Copying the shared libraries of the runtime, runc and ip, and the C.UTF-8 locale");
        copyLibraries(root, jre, List.of(runc, ip));
        copyLocale(root);
        progress.step("Training the guest agent's ahead-of-time cache");
        train(jre, agentDir, jar);
    }

    /** ELF files whose libraries the guest needs; libraries inside the runtime itself are found by its RPATH. */
    private void copyLibraries(Path root, Path jre, List<Path> binaries) throws IOException {
        var elves = new ArrayList<Path>();
        elves.add(jre.resolve("bin/java"));
        elves.add(jre.resolve("lib/server/libjvm.so"));
        try (Stream<Path> libs = Files.list(jre.resolve("lib"))) {
            libs.filter(p -> p.getFileName().toString().endsWith(".so")).sorted().forEach(elves::add);
        }
        elves.addAll(binaries);
        Set<Path> needed = new LinkedHashSet<>();
        for (Path elf : elves) {
            needed.addAll(sharedLibraries(tools.run(List.of(tools.find("ldd", "apt-get install libc-bin").toString(),
                    elf.toString()), "list the shared libraries of " + root.relativize(elf)), root));
        }
        for (Path library : needed) {
            Path target = root.resolve(library.toString().substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(library, target, StandardCopyOption.REPLACE_EXISTING); // follows the soname link
            Files.setPosixFilePermissions(target, RootfsBuilder.permissions(0755));
        }
    }

    /**
     * glibc's C.UTF-8 locale, which the agent runs under ({@code LC_ALL=C.UTF-8} in the guest's init): without a
     * UTF-8 locale the JVM encodes file names as ASCII and cannot unpack an image with a name like
     * {@code Főtanúsítvány.pem} (Debian's ca-certificates has one).
     */
    private static void copyLocale(Path root) throws IOException {
        Path locale = Path.of(GuestProtocol.AGENT_LOCALE_DIR);
        if (!Files.isDirectory(locale)) {
            throw new GuestException(GuestError.TOOL_MISSING, "no C.UTF-8 locale at " + locale,
                    "apt-get install libc-bin (it ships " + locale + ")");
        }
        Path target = root.resolve(GuestProtocol.AGENT_LOCALE_DIR.substring(1));
        try (Stream<Path> files = Files.walk(locale)) {
            for (Path f : files.toList()) {
                Path to = target.resolve(locale.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** The absolute host paths in {@code ldd} output, leaving out those inside the staged root. */
    static List<Path> sharedLibraries(String lddOutput, Path root) {
        var result = new ArrayList<Path>();
        for (String line : lddOutput.split("\n")) {
            if (line.contains("not found") && !line.contains("libjvm.so")) {
                // libjvm.so is found through the runtime's RPATH when run; anything else missing is a broken host
                throw new GuestException(GuestError.BUILD_FAILED, "a shared library is missing on the host: " + line.strip());
            }
            Matcher m = LDD_LINE.matcher(line);
            if (m.matches()) {
                Path path = Path.of(m.group(1));
                if (!path.startsWith(root)) {
                    result.add(path);
                }
            }
        }
        return result;
    }

    /**
     * Runs the agent once in training mode ({@code --train}: it starts its server, answers requests to itself and
     * exits) with {@code -XX:AOTCacheOutput}, which writes the cache when the JVM ends. The guest finds the jar
     * and runtime at other absolute paths; the JVM accepts a cache whose class path moved as a whole.
     */
    private void train(Path jre, Path agentDir, Path jar) {
        Path cache = agentDir.resolve(GuestProtocol.AGENT_AOT_NAME);
        var command = new ArrayList<String>();
        command.add(jre.resolve("bin/java").toString());
        command.add("@" + agentDir.resolve(GuestProtocol.AGENT_JVM_OPTIONS_NAME));
        command.add("-XX:AOTCacheOutput=" + cache);
        command.addAll(List.of("-cp", jar.toString(), GuestProtocol.AGENT_MAIN_CLASS, "--train"));
        tools.run(command, "train the guest agent's AOT cache");
        if (!Files.isRegularFile(cache)) {
            throw new GuestException(GuestError.BUILD_FAILED, "the agent's training run wrote no AOT cache at " + cache);
        }
        try {
            Files.deleteIfExists(agentDir.resolve(GuestProtocol.AGENT_AOT_NAME + ".config"));
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot remove the AOT training file", e);
        }
    }
}
