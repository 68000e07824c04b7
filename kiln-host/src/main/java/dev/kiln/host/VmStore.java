package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** VM records on disk: STATE/vms/ID/vm.json, written atomically (temp file, then rename). */
final class VmStore {
    private static final Logger LOG = LoggerFactory.getLogger(VmStore.class);
    private final Path vmsDir;
    private final ObjectMapper json;

    VmStore(Path stateDir, ObjectMapper json) {
        this.vmsDir = stateDir.resolve("vms");
        this.json = json;
    }

    Path dirOf(String id) {
        return vmsDir.resolve(id);
    }

    void save(VmRecord r) {
        Path dir = dirOf(r.id());
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("vm.json.tmp");
            json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), r);
            try {
                Files.move(tmp, dir.resolve("vm.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve("vm.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot save VM " + r.name() + ": " + e.getMessage(),
                    "check that " + dir + " is writable and the disk is not full", e);
        }
    }

    List<VmRecord> loadAll() {
        List<VmRecord> out = new ArrayList<>();
        if (!Files.isDirectory(vmsDir)) return out;
        try (var dirs = Files.list(vmsDir)) {
            for (Path d : dirs.toList()) {
                Path f = d.resolve("vm.json");
                if (!Files.isRegularFile(f)) continue;
                try {
                    out.add(json.readValue(f.toFile(), VmRecord.class));
                } catch (IOException e) {
                    LOG.warn("skipping unreadable VM record {}: {}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot read " + vmsDir + ": " + e.getMessage(), "check permissions", e);
        }
        return out;
    }

    /** Directories under vms/ that hold no record (left by a crash between mkdir and the first save). */
    List<Path> orphanDirs() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(vmsDir)) return out;
        try (var dirs = Files.list(vmsDir)) {
            for (Path d : dirs.toList()) {
                if (!Files.exists(d.resolve("vm.json"))) out.add(d);
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", vmsDir, e.getMessage());
        }
        return out;
    }

    void delete(String id) {
        deleteTree(dirOf(id));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot remove " + dir + ": " + e.getMessage(), "check permissions", e);
        }
    }
}
