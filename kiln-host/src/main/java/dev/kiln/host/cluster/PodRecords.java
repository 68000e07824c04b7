package dev.kiln.host.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.kiln.host.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which pods this host runs in which node's VM, with each pod's uid and its containers' names, persisted in
 * {@code STATE/cluster/pods.json} so that a restarted daemon knows its pods again (and does not restart them).
 */
public final class PodRecords {
    /**
     * One pod on one node: container name in the pod → the container's name on this host, and the pod's own address
     * once its network is made ("" before, and in records written before pods had addresses).
     */
    public record PodRecord(String node, String pod, String uid, Map<String, String> containers, String address) {
        public PodRecord {
            containers = Map.copyOf(containers);
            address = address == null ? "" : address;
        }

        public PodRecord(String node, String pod, String uid, Map<String, String> containers) {
            this(node, pod, uid, containers, "");
        }

        public PodRecord withAddress(String newAddress) {
            return new PodRecord(node, pod, uid, containers, newAddress);
        }

        public Optional<String> ownAddress() {
            return address.isEmpty() ? Optional.empty() : Optional.of(address);
        }
    }

    private final Path file;
    private final Map<String, PodRecord> records = new TreeMap<>();

    public PodRecords(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            try {
                List<PodRecord> read = Json.mapper().readValue(file.toFile(), new TypeReference<List<PodRecord>>() { });
                read.forEach(r -> records.put(key(r.node(), r.pod()), r));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + "; remove it to start afresh", e);
            }
        }
    }

    private static String key(String node, String pod) {
        return node + "/" + pod;
    }

    public synchronized List<PodRecord> onNode(String node) {
        return records.values().stream().filter(r -> r.node().equals(node)).toList();
    }

    public synchronized Optional<PodRecord> get(String node, String pod) {
        return Optional.ofNullable(records.get(key(node, pod)));
    }

    public synchronized List<PodRecord> all() {
        return List.copyOf(records.values());
    }

    public synchronized void put(PodRecord r) {
        records.put(key(r.node(), r.pod()), r);
        save();
    }

    public synchronized void remove(String node, String pod) {
        if (records.remove(key(node, pod)) != null) {
            save();
        }
    }

    private void save() {
        try {
            Files.createDirectories(file.getParent());
            Path part = file.resolveSibling(file.getFileName() + ".part");
            Files.write(part, Json.mapper().writeValueAsBytes(new ArrayList<>(records.values())));
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
