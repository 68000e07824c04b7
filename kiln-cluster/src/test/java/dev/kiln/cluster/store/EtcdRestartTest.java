package dev.kiln.cluster.store;

import static dev.kiln.cluster.store.KvStoreContract.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a store and its watches do while etcd stops, crashes and comes back on the same data directory. */
class EtcdRestartTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration BACK_WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    EtcdProcess etcd;
    KvStore store;

    @BeforeEach
    void start() {
        List<Integer> ports = EtcdProcess.freePorts(2);
        etcd = EtcdProcess.start(dir.resolve("etcd/data"), ports.get(0), ports.get(1), Duration.ofSeconds(30));
        store = KvStore.etcd(List.of(etcd.endpoint()), TIMEOUT);
    }

    @AfterEach
    void stop() {
        store.close();
        etcd.close();
        assertThat(EtcdProcess.running(dir.resolve("etcd/data"))).isEmpty();
    }

    @Test
    void dataAndWatchesSurviveAStopAndStart() {
        long a = store.put("/kiln/t/a", b("1"));
        EventLog log = new EventLog();
        Watch watch = store.watch("/kiln/t/", a + 1, log);
        store.put("/kiln/t/b", b("2"));
        await().atMost(BACK_WITHIN).until(() -> log.events().size() == 1);

        etcd.stop();
        assertUnavailableWithinTimeout();

        etcd.restart();
        awaitUsable();
        assertThat(store.get("/kiln/t/a").orElseThrow().valueAsString()).isEqualTo("1");
        assertThat(store.get("/kiln/t/b").orElseThrow().valueAsString()).isEqualTo("2");
        store.put("/kiln/t/c", b("3"));
        await().atMost(BACK_WITHIN).until(() -> log.events().size() >= 2);

        assertThat(log.shape()).containsExactly("PUT /kiln/t/b=2", "PUT /kiln/t/c=3");
        assertThat(watch.isClosed()).isFalse();
        watch.close();
    }

    @Test
    void watchesResumeWithoutGapsOrRepeatsAfterACrash() {
        long first = store.put("/kiln/t/k", b("1"));
        EventLog before = new EventLog();
        store.watch("/kiln/t/", first, before);
        store.put("/kiln/t/k", b("2"));
        long last = store.put("/kiln/t/k", b("3"));
        await().atMost(BACK_WITHIN).until(() -> before.events().size() == 3);

        etcd.kill();
        EventLog openedWhileDown = new EventLog();
        store.watch("/kiln/t/", last, openedWhileDown);
        assertUnavailableWithinTimeout();

        etcd.restart();
        awaitUsable();
        store.put("/kiln/t/k", b("4"));
        store.delete("/kiln/t/k");
        await().atMost(BACK_WITHIN).until(() -> before.events().size() >= 5 && openedWhileDown.events().size() >= 3);

        assertThat(before.shape()).containsExactly("PUT /kiln/t/k=1", "PUT /kiln/t/k=2", "PUT /kiln/t/k=3",
                "PUT /kiln/t/k=4", "DELETE /kiln/t/k");
        assertThat(openedWhileDown.shape()).containsExactly("PUT /kiln/t/k=3", "PUT /kiln/t/k=4",
                "DELETE /kiln/t/k");
    }

    @Test
    void aWatchThatMissedACompactionAsksForARelist() {
        long first = store.put("/kiln/t/k", b("1"));
        EventLog log = new EventLog();
        etcd.stop();
        Watch watch = store.watch("/kiln/t/", first + 1, log); // opened while etcd is down
        etcd.restart();
        awaitUsable();
        store.put("/kiln/t/k", b("2"));
        long third = store.put("/kiln/t/k", b("3"));

        // The watch may or may not have connected before the compaction; either way nothing is lost.
        store.compact(third);
        await().atMost(BACK_WITHIN).until(() -> !log.events().isEmpty());
        List<String> seen = log.shape();
        if (seen.contains("RELIST")) {
            assertThat(watch.isClosed()).isTrue();
            Snapshot again = store.listWithRevision("/kiln/t/");
            assertThat(again.entries()).extracting(KeyValue::valueAsString).containsExactly("3");
        } else {
            await().atMost(BACK_WITHIN).until(() -> log.events().size() == 2);
            assertThat(log.shape()).containsExactly("PUT /kiln/t/k=2", "PUT /kiln/t/k=3");
        }
    }

    private void assertUnavailableWithinTimeout() {
        long start = System.nanoTime();
        ClusterException e = catchThrowableOfType(ClusterException.class, () -> store.get("/kiln/t/a"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        System.out.println("while etcd is down, get failed after " + took.toMillis() + " ms: " + e.getMessage());
        assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("etcd at " + etcd.endpoint() + " is unreachable: ");
        assertThat(e.hint()).contains("start it with `kiln up`, or pass --etcd URL");
        assertThat(took).isLessThan(TIMEOUT.plusMillis(500));
    }

    private void awaitUsable() {
        long start = System.nanoTime();
        await().atMost(BACK_WITHIN).pollInterval(Duration.ofMillis(100)).ignoreException(ClusterException.class)
                .until(() -> store.revision() > 0);
        System.out.println("the store answered " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                + " ms after etcd was healthy again");
    }
}
