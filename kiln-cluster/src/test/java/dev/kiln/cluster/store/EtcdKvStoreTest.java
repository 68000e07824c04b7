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
}
