package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd for one test class: started on free ports in a temporary directory before its tests, stopped after
 * them, and checked gone. Use as {@code @RegisterExtension static final RealEtcd etcd = new RealEtcd();}.
 */
public final class RealEtcd implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private EtcdProcess etcd;

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            dir = Files.createTempDirectory("kiln-etcd-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Integer> ports = EtcdProcess.freePorts(2);
        etcd = EtcdProcess.start(dir.resolve("etcd/data"), ports.get(0), ports.get(1), Duration.ofSeconds(30));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (etcd != null) {
            etcd.close();
        }
        assertThat(EtcdProcess.running(dir.resolve("etcd/data"))).isEmpty();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    public URI endpoint() {
        return etcd.endpoint();
    }

    public EtcdProcess process() {
        return etcd;
    }
}
