package dev.kiln.host.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.kiln.host.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which VM is each Node's, when it is not the one named after the node ({@code kn-<node>}): a pre-booted VM taken
 * from the warm pool keeps its own name ({@code kw-...}). Persisted in {@code STATE/cluster/nodes.json}, so a
 * restarted daemon still knows which VM is which node's.
 */
final class NodeVms {
    private final Path file;
    private final Map<String, String> vmOfNode = new TreeMap<>();

    NodeVms(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            try {
                vmOfNode.putAll(Json.mapper().readValue(file.toFile(), new TypeReference<Map<String, String>>() { }));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + "; remove it to start afresh", e);
            }
        }
    }

    /** The node's VM: the one it took from the warm pool, else {@code kn-<node>}. */
    synchronized String vmOf(String node) {
        return vmOfNode.getOrDefault(node, VmNodeBackend.VM_PREFIX + node);
    }

    /** The node whose VM {@code vm} is, if any. */
    synchronized Optional<String> nodeOf(String vm) {
        if (vm.startsWith(VmNodeBackend.VM_PREFIX)) {
            return Optional.of(vm.substring(VmNodeBackend.VM_PREFIX.length()));
        }
        return vmOfNode.entrySet().stream().filter(e -> e.getValue().equals(vm)).map(Map.Entry::getKey).findFirst();
    }

    synchronized boolean isClaimed(String vm) {
        return vmOfNode.containsValue(vm);
    }

    synchronized void claim(String node, String vm) {
        vmOfNode.put(node, vm);
        save();
    }

    synchronized void forget(String node) {
        if (vmOfNode.remove(node) != null) {
            save();
        }
    }

    private void save() {
        try {
            Files.createDirectories(file.getParent());
            Path part = file.resolveSibling(file.getFileName() + ".part");
            Files.write(part, Json.mapper().writeValueAsBytes(vmOfNode));
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
