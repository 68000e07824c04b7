package dev.kiln.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What {@code kiln image build} makes. Read from YAML or JSON with {@link #read(Path)} (unknown keys are errors),
 * or made in code with the canonical constructor or {@link #busybox}. There are three kinds ({@link #kind()}):
 *
 * <p><b>A Debian image</b> ({@link Kind#DEBIAN}): {@code mmdebstrap --variant=minbase} of a suite, with extra
 * packages, files copied in, symlinks and the run config. Needs root and the network.
 * <pre>
 * suite: bookworm
 * packages: [busybox]
 * files:
 *   - {source: hello.sh, target: /usr/local/bin/hello, mode: "0755"}
 * env: {GREETING: hi}
 * workdir: /srv
 * user: "1000:1000"
 * entrypoint: [/usr/local/bin/hello]
 * cmd: [world]
 * </pre>
 *
 * <p><b>A scratch image</b> ({@link Kind#SCRATCH}): only the listed files and symlinks, with the directories
 * they need (mode 0755, owner 0:0). Every entry has a fixed time and owner, so the same spec and the same
 * sources give the same layer digest (and, with the same clock, the same image digest). Needs neither root nor
 * the network. {@code packages} must be empty, and {@code user} numeric, as there is no {@code /etc/passwd}.
 * <pre>
 * suite: scratch
 * files:
 *   - {source: /bin/busybox, target: /bin/busybox, mode: "0755"}   # absolute, or relative to this file
 *   - {source: index.html, target: /srv/www/index.html}
 * links:
 *   - {target: /bin/sh, to: busybox}        # the link's path, and the text it points to
 *   - {target: /bin/httpd, to: busybox}
 * workdir: /srv/www
 * entrypoint: [/bin/httpd, -f, -p, "8080"]
 * </pre>
 *
 * <p><b>A Java image</b> ({@link Kind#JAVA}): a runtime jlinked from the JDK kiln runs on, at {@code /opt/java}
 * (modules from {@code jdeps} unless listed, with the default CDS archive), the jar at {@code /app/app.jar}, the
 * host's shared libraries the runtime links against (from {@code ldd}), and {@code /tmp}. The entrypoint is
 * {@code /opt/java/bin/java -jar /app/app.jar}, or {@code -cp /app/app.jar <mainClass>} when {@code mainClass}
 * is given; {@code cmd} holds the program's arguments and {@code JDK_JAVA_OPTIONS} in {@code env} the JVM's.
 * The suite is {@code scratch} (the default when {@code java} is given), and {@code packages} and
 * {@code entrypoint} must be absent. Libraries the runtime loads by name at run time ({@code dlopen}, such as
 * NSS modules or fontconfig) are not found by {@code ldd}; add them with {@code files}.
 * <pre>
 * java:
 *   jar: build/app.jar
 *   mainClass: com.example.Main          # optional
 *   modules: [java.base, java.net.http]  # optional
 * cmd: [--port, "8080"]
 * </pre>
 *
 * @param files sources are absolute, or relative to the spec file's directory (see {@link #read(Path)})
 * @param links symbolic links to make, after the files
 * @param java  the application of a Java image
 */
public record BuildSpec(String suite, List<String> packages, List<FileCopy> files, List<Link> links,
                        Map<String, String> env, Optional<String> workdir, Optional<String> user,
                        List<String> entrypoint, List<String> cmd, Optional<JavaApp> java) {

    /** The suite of an image with no Debian base. */
    public static final String SCRATCH = "scratch";

    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{1,31}");
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern IMAGE_PATH = Pattern.compile("/[A-Za-z0-9._+@/-]*");
    private static final Pattern LINK_TEXT = Pattern.compile("[A-Za-z0-9._+@/][A-Za-z0-9._+@/-]{0,1023}");
    private static final Pattern MODE = Pattern.compile("0?[0-7]{3,4}");
    private static final Pattern NUMERIC_USER = Pattern.compile("[0-9]{1,10}(:[0-9]{1,10})?");
    private static final Pattern APPLET = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,63}");
    private static final Pattern JAVA_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    /** How the root file system is made; {@link ImageBuild#build} picks the builder by it. */
    public enum Kind { DEBIAN, SCRATCH, JAVA }

    /** One file to copy into the image: a host file, an absolute path in the image, an octal mode. */
    public record FileCopy(Path source, String target, String mode) {
        public FileCopy {
            if (source == null) {
                throw invalid("files: the entry for " + target + " needs a source");
            }
            checkImagePath("files: target", target);
            mode = mode == null ? "0644" : mode;
            if (!MODE.matcher(mode).matches()) {
                throw invalid("files: mode '" + mode + "' of " + target + " is not an octal mode such as \"0755\"");
            }
        }

        /** The mode as a number, such as {@code 0755}. */
        int modeBits() {
            return Integer.parseInt(mode, 8);
        }
    }

    /** A symbolic link at {@code target} (an absolute path in the image) whose text is {@code to}. */
    public record Link(String target, String to) {
        public Link {
            checkImagePath("links: target", target);
            if (to == null || !LINK_TEXT.matcher(to).matches()) {
                throw invalid("links: " + target + " needs 'to', the path it points to, of [A-Za-z0-9._+@/-] and not"
                        + " starting with '-'");
            }
        }
    }

    /**
     * The application of a Java image.
     *
     * @param jar       a host file; relative to the spec file's directory when read from one
     * @param mainClass run with {@code -cp} and this class instead of {@code -jar} (the jar's Main-Class)
     * @param modules   the runtime's modules; empty means ask {@code jdeps}
     */
    public record JavaApp(Path jar, Optional<String> mainClass, List<String> modules) {
        public JavaApp {
            if (jar == null) {
                throw invalid("java: needs a jar");
            }
            mainClass.ifPresent(c -> {
                if (!JAVA_NAME.matcher(c).matches()) {
                    throw invalid("java: mainClass '" + c + "' is not a Java class name such as com.example.Main");
                }
            });
            modules = copy("java: modules", modules);
            for (String m : modules) {
                if (!JAVA_NAME.matcher(m).matches() || m.contains("$")) {
                    throw invalid("java: '" + m + "' in modules is not a module name such as java.net.http");
                }
            }
        }
    }

    public BuildSpec {
        suite = suite != null ? suite : java.isPresent() ? SCRATCH : "bookworm";
        if (!SUITE.matcher(suite).matches()) {
            throw invalid("suite '" + suite + "' is not a Debian suite name such as bookworm, nor scratch");
        }
        packages = copy("packages", packages);
        for (String p : packages) {
            if (!PACKAGE.matcher(p).matches()) {
                throw invalid("packages: '" + p + "' is not a Debian package name");
            }
        }
        files = copy("files", files);
        links = copy("links", links);
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!ENV_KEY.matcher(e.getKey()).matches() || e.getValue() == null) {
                throw invalid("env: '" + e.getKey() + "' must be a variable name with a string value");
            }
        }
        workdir.ifPresent(w -> checkImagePath("workdir", w));
        entrypoint = copy("entrypoint", entrypoint);
        cmd = copy("cmd", cmd);
        checkKind(suite, packages, files, links, user, entrypoint, java);
        checkPaths(files, links, workdir, java.isPresent());
    }

    /** Which builder makes this image. */
    public Kind kind() {
        return java.isPresent() ? Kind.JAVA : suite.equals(SCRATCH) ? Kind.SCRATCH : Kind.DEBIAN;
    }

    /**
     * A scratch image of a static busybox at {@code /bin/busybox}, with {@code /bin/<applet>} links to it and extra
     * files. For example {@code busybox(Path.of("/bin/busybox"), List.of("sh", "echo", "httpd"), List.of(),
     * List.of("/bin/httpd", "-f", "-p", "8080"), List.of())}.
     */
    public static BuildSpec busybox(Path busybox, List<String> applets, List<FileCopy> files,
                                    List<String> entrypoint, List<String> cmd) {
        List<FileCopy> all = new ArrayList<>();
        all.add(new FileCopy(busybox, "/bin/busybox", "0755"));
        all.addAll(files);
        List<Link> links = applets.stream().map(a -> {
            if (!APPLET.matcher(a).matches() || a.equals("busybox")) {
                throw invalid("busybox: '" + a + "' is not an applet name such as sh");
            }
            return new Link("/bin/" + a, "busybox");
        }).toList();
        return new BuildSpec(SCRATCH, List.of(), all, links, Map.of(), Optional.empty(), Optional.empty(),
                entrypoint, cmd, Optional.empty());
    }

    /**
     * Reads a YAML or JSON spec; relative sources (files and the jar) are resolved against the spec's directory,
     * and every source must be a file.
     */
    public static BuildSpec read(Path file) {
        return BuildSpecReader.read(file);
    }

    private static void checkKind(String suite, List<String> packages, List<FileCopy> files, List<Link> links,
                                  Optional<String> user, List<String> entrypoint, Optional<JavaApp> java) {
        boolean scratch = suite.equals(SCRATCH);
        if (java.isPresent()) {
            if (!packages.isEmpty()) {
                throw invalid("java and packages cannot be combined: a Java image has a jlinked runtime and no Debian"
                        + " base; drop packages, or copy what you need with files");
            }
            if (!scratch) {
                throw invalid("java: a Java image is built on suite: scratch, not '" + suite + "'; drop suite");
            }
            if (!entrypoint.isEmpty()) {
                throw invalid("java sets the entrypoint (/opt/java/bin/java -jar /app/app.jar); drop entrypoint, pass"
                        + " the program's arguments as cmd and JVM options as env JDK_JAVA_OPTIONS");
            }
        }
        if (scratch && !packages.isEmpty()) {
            throw invalid("packages: a scratch image has no Debian base to install " + packages + " into; copy the"
                    + " files you need with files, or use a Debian suite such as bookworm");
        }
        if (scratch && java.isEmpty() && files.isEmpty() && links.isEmpty()) {
            throw invalid("suite: scratch needs files, links or java; as it is the image would be empty");
        }
        user.ifPresent(u -> {
            if (u.isBlank()) {
                throw invalid("user must not be empty");
            }
            if (scratch && !NUMERIC_USER.matcher(u).matches()) {
                throw invalid("user '" + u + "' must be numeric (uid or uid:gid) in a scratch image, which has no"
                        + " /etc/passwd");
            }
        });
    }

    /** No path is given twice, and none lies under a file or link of the spec (or, in a Java image, the runtime). */
    private static void checkPaths(List<FileCopy> files, List<Link> links, Optional<String> workdir, boolean java) {
        record Claim(String path, String label) {
        }
        Map<String, String> leaves = new TreeMap<>();
        if (java) {
            leaves.put("opt/java", "the Java runtime (/opt/java)");
            leaves.put("app/app.jar", "the Java application (/app/app.jar)");
        }
        List<Claim> claims = new ArrayList<>();
        files.forEach(f -> claims.add(new Claim(normalize(f.target()), "files: " + f.target())));
        links.forEach(l -> claims.add(new Claim(normalize(l.target()), "links: " + l.target())));
        for (Claim claim : claims) {
            String earlier = leaves.putIfAbsent(claim.path(), claim.label());
            if (earlier != null) {
                throw invalid(claim.label() + " is the same path as " + earlier);
            }
        }
        // the workdir is a directory: it must not be, nor lie under, a file or link
        workdir.ifPresent(w -> claims.add(new Claim(normalize(w) + "/.", "workdir " + w)));
        for (Claim claim : claims) {
            for (String dir : EntryPath.parents(claim.path())) {
                if (leaves.containsKey(dir)) {
                    throw invalid(claim.label() + " lies under " + leaves.get(dir) + ", which is not a directory");
                }
            }
        }
    }

    private static void checkImagePath(String field, String path) {
        if (path == null || !IMAGE_PATH.matcher(path).matches() || normalize(path).isEmpty()
                || !normalize(path).equals(path.substring(1)) || List.of(path.split("/")).contains("..")) {
            throw invalid(field + " '" + path + "' must be an absolute path of [A-Za-z0-9._+@/-], without '..', '.',"
                    + " '//' or a trailing '/', other than /");
        }
    }

    /** {@code /usr//bin/./x} becomes {@code usr/bin/x}: a path relative to the image's root. */
    static String normalize(String imagePath) {
        return String.join("/", List.of(imagePath.split("/")).stream()
                .filter(p -> !p.isEmpty() && !p.equals(".")).toList());
    }

    /** An immutable copy; a null element (an empty YAML list item) is an error rather than a crash. */
    private static <T> List<T> copy(String field, List<T> list) {
        if (list.stream().anyMatch(Objects::isNull)) {
            throw invalid(field + " has an empty entry");
        }
        return List.copyOf(list);
    }

    static ImageException invalid(String message) {
        return new ImageException(ImageError.INVALID_BUILD_SPEC, message);
    }
}
