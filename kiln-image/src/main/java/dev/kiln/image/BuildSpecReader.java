package dev.kiln.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads a {@link BuildSpec} from YAML or JSON: unknown keys are errors, sources are resolved and must be files. */
final class BuildSpecReader {
    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    record Raw(String suite, List<String> packages, List<RawFile> files, List<RawLink> links, Map<String, String> env,
               String workdir, String user, List<String> entrypoint, List<String> cmd, RawJava java) {
    }

    record RawFile(String source, String target, String mode) {
    }

    record RawLink(String target, String to) {
    }

    record RawJava(String jar, String mainClass, List<String> modules) {
    }

    private BuildSpecReader() {
    }

    static BuildSpec read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw BuildSpec.invalid("cannot read the build spec " + file + ": " + e.getMessage());
        }
        Raw raw;
        try {
            raw = MAPPER.readValue(bytes, Raw.class);
        } catch (UnrecognizedPropertyException e) {
            throw BuildSpec.invalid(file + ": unknown key '" + e.getPropertyName() + "'; known keys: "
                    + e.getKnownPropertyIds());
        } catch (JsonProcessingException e) {
            throw BuildSpec.invalid(file + " is not a valid build spec: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw BuildSpec.invalid("cannot read the build spec " + file + ": " + e.getMessage());
        }
        if (raw == null) {
            throw BuildSpec.invalid(file + " is empty");
        }
        Path base = file.toAbsolutePath().getParent();
        List<BuildSpec.FileCopy> files = orEmpty(raw.files()).stream().map(f -> {
            if (f == null || f.source() == null) {
                throw BuildSpec.invalid("files: every entry needs a source");
            }
            return new BuildSpec.FileCopy(source(base, f.source(), "files: source"), f.target(), f.mode());
        }).toList();
        List<BuildSpec.Link> links = orEmpty(raw.links()).stream().map(l -> {
            if (l == null) {
                throw BuildSpec.invalid("links: an entry is empty");
            }
            return new BuildSpec.Link(l.target(), l.to());
        }).toList();
        Optional<BuildSpec.JavaApp> java = Optional.ofNullable(raw.java()).map(j -> {
            if (j.jar() == null) {
                throw BuildSpec.invalid("java: needs a jar");
            }
            return new BuildSpec.JavaApp(source(base, j.jar(), "java: jar"), Optional.ofNullable(j.mainClass()),
                    orEmpty(j.modules()));
        });
        return new BuildSpec(raw.suite(), orEmpty(raw.packages()), files, links, raw.env() == null ? Map.of() : raw.env(),
                Optional.ofNullable(raw.workdir()), Optional.ofNullable(raw.user()), orEmpty(raw.entrypoint()),
                orEmpty(raw.cmd()), java);
    }

    /** An absolute source as it is; a relative one against the spec's directory. */
    private static Path source(Path base, String name, String what) {
        Path source = base.resolve(name).normalize();
        if (!Files.isRegularFile(source)) {
            throw BuildSpec.invalid(what + " " + source + " is not a file");
        }
        return source;
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
