package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds the etcd binary: a chain of probes, each directory of PATH, then the fixed places Debian installs it. */
final class EtcdBinary {
    static final String HINT = "apt-get install etcd-server";
    static final List<Path> FALLBACKS = List.of(Path.of("/usr/bin"), Path.of("/usr/local/bin"));

    private EtcdBinary() {
    }

    /**
     * The first executable {@code etcd} in the directories of {@code pathVariable} (the PATH value, may be empty),
     * then in {@code fallbacks}.
     *
     * @throws ClusterException UNAVAILABLE with an install hint when there is none
     */
    static Path locate(String pathVariable, List<Path> fallbacks) {
        List<Path> dirs = new ArrayList<>();
        for (String dir : pathVariable.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                dirs.add(Path.of(dir));
            }
        }
        dirs.addAll(fallbacks);
        for (Path dir : dirs) {
            Path candidate = dir.resolve("etcd");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new ClusterException(ClusterError.UNAVAILABLE,
                "etcd is not installed: no executable etcd on PATH or in " + fallbacks, HINT);
    }
}
