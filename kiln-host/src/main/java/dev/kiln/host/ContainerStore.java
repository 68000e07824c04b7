package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Persists {@link ContainerRecord}s as {@code <stateDir>/containers/<name>.json}, each written atomically. */
final class ContainerStore {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerStore.class);
    private final Path dir;
    private final ObjectMapper json;

    ContainerStore(Path stateDir, ObjectMapper json) {
        this.dir = stateDir.resolve("containers");
        this.json = json;
    }

    void save(ContainerRecord r) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".save-", ".tmp");
            json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), r);
            Files.move(tmp, dir.resolve(r.name() + ".json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot save container " + r.name() + ": " + e.getMessage(),
                    "check that " + dir + " is writable and the disk is not full", e);
        }
    }

    void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name + ".json"));
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot delete the record of container " + name + ": "
                    + e.getMessage(), "check " + dir, e);
        }
    }

    List<ContainerRecord> loadAll() {
        var out = new ArrayList<ContainerRecord>();
        if (!Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    out.add(json.readValue(f.toFile(), ContainerRecord.class));
                } catch (IOException e) {
                    LOG.warn("ignoring unreadable container record {}: {}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot list " + dir + ": " + e.getMessage(), "check " + dir, e);
        }
        return out;
    }
}
