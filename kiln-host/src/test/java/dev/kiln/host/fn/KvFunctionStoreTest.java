package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cluster.store.EtcdProcess;
import dev.kiln.cluster.store.KvStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's function store: records and code in the key-value store, the code in chunks that etcd accepts. In
 * memory for the logic, and against a real etcd for what etcd refuses (a request over 1.5 MiB).
 */
class KvFunctionStoreTest {
    @TempDir
    Path dir;

    static FunctionRecord record(String name, byte[] code, long revision) {
        return new FunctionRecord(name, Optional.of("python3.12"), "app.handler", "role", "", 128, 3, Map.of(),
                "Zip", Optional.empty(), Optional.empty(), FunctionService.sha256(code), code.length,
                Instant.parse("2026-11-23T00:00:00Z"), revision, "rev-" + revision);
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void recordsAndCodeRoundTripAndOldCodeIsRemoved() {
        KvStore kv = KvStore.memory(Clock.systemUTC());
        KvFunctionStore store = new KvFunctionStore(kv);
        byte[] code = bytes(KvFunctionStore.CHUNK * 3 + 17, 1);
        store.create(record("a", code, 1), Optional.of(code));
        store.create(record("b", new byte[0], 1), Optional.empty());
        assertThat(store.get("a")).contains(record("a", code, 1));
        assertThat(store.code("a")).isEqualTo(code);
        assertThat(store.code("b")).isEmpty();
        assertThat(store.list()).extracting(FunctionRecord::name).containsExactly("a", "b");
        assertThat(kv.list(KvFunctionStore.CODE + "a/")).hasSize(4);
        assertThatThrownBy(() -> store.create(record("a", code, 1), Optional.of(code)))
                .isInstanceOfSatisfying(LambdaException.class, e -> assertThat(e.status()).isEqualTo(409));

        byte[] next = bytes(100, 2);
        store.put(record("a", next, 2), Optional.of(next));
        assertThat(store.code("a")).isEqualTo(next);
        assertThat(kv.list(KvFunctionStore.CODE + "a/")).as("the old code's chunks are gone").hasSize(1);
        store.put(record("a", next, 3), Optional.empty()); // a configuration change keeps the code
        assertThat(store.code("a")).isEqualTo(next);
        assertThat(store.get("a").orElseThrow().revision()).isEqualTo(3);

        store.delete("a");
        assertThat(store.get("a")).isEmpty();
        assertThat(kv.list(KvFunctionStore.CODE + "a/")).isEmpty();
        assertThat(store.list()).extracting(FunctionRecord::name).containsExactly("b");
    }

    @Test
    void aZipOfManyMegabytesGoesIntoARealEtcd() throws Exception {
        List<Integer> ports = EtcdProcess.freePorts(2);
        try (EtcdProcess etcd = EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1),
                Duration.ofSeconds(30));
             KvStore kv = KvStore.etcd(List.of(etcd.endpoint()))) {
            KvFunctionStore store = new KvFunctionStore(kv);
            byte[] code = bytes(5 * 1024 * 1024 + 3, 3); // etcd refuses a single request over 1.5 MiB
            store.create(record("big", code, 1), Optional.of(code));
            assertThat(new KvFunctionStore(kv).code("big")).isEqualTo(code);
            store.delete("big");
            assertThat(kv.get(KvFunctionStore.chunkKeys(record("big", code, 1)).getFirst())).isEmpty();
        }
        assertThat(EtcdProcess.running(dir.resolve("data"))).isEmpty();
    }
}
