package dev.kiln.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What {@code kiln image build} makes: a Debian root file system ({@code mmdebstrap --variant=minbase}) of a
 * suite with extra packages, files copied in, and the run config. Read from YAML or JSON; unknown keys are errors.
 *
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
 * @param files sources are relative to the spec file's directory (see {@link #read(Path)})
 */
public record BuildSpec(String suite, List<String> packages, List<FileCopy> files, Map<String, String> env,
                        Optional<String> workdir, Optional<String> user, List<String> entrypoint, List<String> cmd) {

    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{1,31}");
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern IMAGE_PATH = Pattern.compile("/[A-Za-z0-9._+@/-]*");
    private static final Pattern MODE = Pattern.compile("0?[0-7]{3,4}");

    /** One file to copy into the image: a host file, an absolute path in the image, an octal mode. */
    public record FileCopy(Path source, String target, String mode) {
        public FileCopy {
            if (source == null || target == null || !IMAGE_PATH.matcher(target).matches() || target.contains("/../")
                    || target.endsWith("/..") || target.equals("/")) {
                throw invalid("files: target '" + target + "' must be an absolute path of [A-Za-z0-9._+@/-], without '..'");
            }
            mode = mode == null ? "0644" : mode;
            if (!MODE.matcher(mode).matches()) {
                throw invalid("files: mode '" + mode + "' of " + target + " is not an octal mode such as \"0755\"");
            }
        }
    }

    public BuildSpec {
        suite = suite == null ? "bookworm" : suite;
        if (!SUITE.matcher(suite).matches()) {
            throw invalid("suite '" + suite + "' is not a Debian suite name such as bookworm");
        }
        packages = List.copyOf(packages);
        for (String p : packages) {
            if (!PACKAGE.matcher(p).matches()) {
                throw invalid("packages: '" + p + "' is not a Debian package name");
            }
        }
        files = List.copyOf(files);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!ENV_KEY.matcher(e.getKey()).matches() || e.getValue() == null) {
                throw invalid("env: '" + e.getKey() + "' must be a variable name with a string value");
            }
        }
        workdir.ifPresent(w -> {
            if (!IMAGE_PATH.matcher(w).matches() || w.contains("..")) {
                throw invalid("workdir '" + w + "' must be an absolute path of [A-Za-z0-9._+@/-], without '..'");
            }
        });
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }

    /** Reads a YAML or JSON spec; relative file sources are resolved against the spec's directory and must exist. */
    public static BuildSpec read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw invalid("cannot read the build spec " + file + ": " + e.getMessage());
        }
        Raw raw;
        try {
            raw = MAPPER.readValue(bytes, Raw.class);
        } catch (UnrecognizedPropertyException e) {
            throw invalid(file + ": unknown key '" + e.getPropertyName() + "'; known keys: " + e.getKnownPropertyIds());
        } catch (JsonProcessingException e) {
            throw invalid(file + " is not a valid build spec: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("cannot read the build spec " + file + ": " + e.getMessage());
        }
        if (raw == null) {
            throw invalid(file + " is empty");
        }
        Path base = file.toAbsolutePath().getParent();
        List<FileCopy> files = raw.files() == null ? List.of() : raw.files().stream().map(f -> {
            if (f == null || f.source() == null) {
                throw invalid("files: every entry needs a source");
            }
            Path source = base.resolve(f.source()).normalize();
            if (!Files.isRegularFile(source)) {
                throw invalid("files: source " + source + " is not a file");
            }
            return new FileCopy(source, f.target(), f.mode());
        }).toList();
        return new BuildSpec(raw.suite(), orEmpty(raw.packages()), files, raw.env() == null ? Map.of() : raw.env(),
                Optional.ofNullable(raw.workdir()), Optional.ofNullable(raw.user()), orEmpty(raw.entrypoint()), orEmpty(raw.cmd()));
    }

    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    record Raw(String suite, List<String> packages, List<RawFile> files, Map<String, String> env,
               String workdir, String user, List<String> entrypoint, List<String> cmd) {
    }

    record RawFile(String source, String target, String mode) {
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static ImageException invalid(String message) {
        return new ImageException(ImageError.INVALID_BUILD_SPEC, message);
    }
}
