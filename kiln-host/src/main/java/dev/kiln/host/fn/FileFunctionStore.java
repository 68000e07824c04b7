package dev.kiln.host.fn;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The functions of one host, on disk: {@code <dir>/<name>/function.json} and {@code <dir>/<name>/code.zip}. Each
 * file is written to a temporary name and moved into place, so a crash leaves the old or the new one, never half.
 */
final class FileFunctionStore implements FunctionStore {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;

    FileFunctionStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the function store " + dir, e);
        }
    }

    @Override
    public synchronized Optional<FunctionRecord> get(String name) {
        Path file = dir.resolve(name).resolve("function.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), FunctionRecord.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public synchronized List<FunctionRecord> list() {
        List<FunctionRecord> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.sorted().toList()) {
                get(entry.getFileName().toString()).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        out.sort(Comparator.comparing(FunctionRecord::name));
        return out;
    }

    @Override
    public synchronized byte[] code(String name) {
        try {
            Path file = dir.resolve(name).resolve("code.zip");
            return Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the code of " + name, e);
        }
    }

    @Override
    public synchronized void create(FunctionRecord record, Optional<byte[]> code) {
        if (get(record.name()).isPresent()) {
            throw new LambdaException(409, "ResourceConflictException", "Function already exist: " + record.name());
        }
        put(record, code);
    }

    @Override
    public synchronized void put(FunctionRecord record, Optional<byte[]> code) {
        Path fnDir = dir.resolve(record.name());
        try {
            Files.createDirectories(fnDir);
            if (code.isPresent()) {
                write(fnDir.resolve("code.zip"), code.get());
            }
            write(fnDir.resolve("function.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the function " + record.name() + " under " + fnDir + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String name) {
        Path fnDir = dir.resolve(name);
        try {
            Files.deleteIfExists(fnDir.resolve("function.json"));
            Files.deleteIfExists(fnDir.resolve("code.zip"));
            Files.deleteIfExists(fnDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the function " + name + " under " + fnDir, e);
        }
    }

    private static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
