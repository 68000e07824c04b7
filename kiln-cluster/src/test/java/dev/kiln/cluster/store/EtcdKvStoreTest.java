package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The conformance suite on a real etcd, started for this class on random ports in a temporary directory. */
class EtcdKvStoreTest extends KvStoreContract {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final RealEtcd etcd = new RealEtcd();

    @Override
    KvStore openStore() {
        return KvStore.etcd(List.of(etcd.endpoint()), Duration.ofSeconds(5));
    }

    @Override
    void letTimePass(Duration d) {
        // etcd's leases run on real time; the caller awaits the effect.
    }

    @Test
    void anUnreachableEtcdFailsFastWithAClearMessage() {
        URI nowhere = URI.create("http://127.0.0.1:" + EtcdProcess.freePort());
        long start = System.nanoTime();
        try (KvStore unreachable = KvStore.etcd(List.of(nowhere), Duration.ofSeconds(2))) {
            ClusterException e = catchThrowableOfType(ClusterException.class, () -> unreachable.get("/kiln/x"));

            assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
            assertThat(e.getMessage()).startsWith("etcd at " + nowhere + " is unreachable: ");
            assertThat(e.hint()).contains("start it with `kiln up`, or pass --etcd URL");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aStoreMakesNoVertxCacheDirectoryThatAKilledProcessWouldLeaveBehind() throws Exception {
        java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        List<java.nio.file.Path> before = vertxCaches(tmp);
        try (KvStore store = openStore()) {
            store.put("/kiln/vertx-probe", "x".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(store.get("/kiln/vertx-probe")).isPresent();
            assertThat(System.getProperty(EtcdKvStore.VERTX_CP_RESOLVING)).isEqualTo("true");
            assertThat(vertxCaches(tmp)).as("Vert.x cache directories in " + tmp + " while a store is open")
                    .containsExactlyInAnyOrderElementsOf(before);
        }
    }

    private static List<java.nio.file.Path> vertxCaches(java.nio.file.Path tmp) throws java.io.IOException {
        try (var entries = java.nio.file.Files.list(tmp)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("vertx-cache")).toList();
        }
    }
}
