package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The conformance suite on the in-memory store, plus what only it has: a clock that tests move. */
class MemoryKvStoreTest extends KvStoreContract {
    private final TestClock clock = new TestClock();

    @Override
    KvStore openStore() {
        return KvStore.memory(clock);
    }

    @Override
    void letTimePass(Duration d) {
        clock.advance(d);
        ((MemoryKvStore) store).tick();
    }

    @Test
    void aFreshStoreIsAtRevisionOneLikeAFreshEtcd() {
        assertThat(store.revision()).isEqualTo(1);
        assertThat(store.put("/k", b("v"))).isEqualTo(2);
    }

    @Test
    void keepAliveMovesTheDeadline() {
        long lease = store.grantLease(Duration.ofSeconds(10));
        store.create(p + "k", b("v"), lease);

        letTimePass(Duration.ofSeconds(9));
        store.keepAlive(lease);
        letTimePass(Duration.ofSeconds(9));
        assertThat(store.get(p + "k")).isPresent();

        letTimePass(Duration.ofSeconds(1));
        assertThat(store.get(p + "k")).isEmpty();
    }

    @Test
    void leasesEndOnAccessWithoutATick() {
        long lease = store.grantLease(Duration.ofMillis(1500));
        store.create(p + "k", b("v"), lease);

        clock.advance(Duration.ofMillis(1999));
        assertThat(store.get(p + "k")).as("TTL rounds up to 2 s").isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(store.get(p + "k")).isEmpty();
    }

    @Test
    void tickEndsLeasesAndWatchersHearOfIt() {
        MemoryKvStore memory = (MemoryKvStore) store;
        long lease = store.grantLease(Duration.ofSeconds(5));
        long rev = store.create(p + "k", b("v"), lease);
        EventLog log = new EventLog();
        store.watch(p, rev + 1, log);

        clock.advance(Duration.ofSeconds(5));
        memory.tick();
        memory.drainWatches();

        assertThat(log.shape()).containsExactly("DELETE " + p + "k");
        assertThat(log.threads()).containsExactly("kiln-memory-kv-watch");
    }

    @Test
    void aFailingConsumerDoesNotStopDelivery() {
        MemoryKvStore memory = (MemoryKvStore) store;
        EventLog log = new EventLog();
        store.watch(p, 0, e -> {
            throw new IllegalStateException("boom");
        });
        store.watch(p, 0, log);

        store.put(p + "a", b("1"));
        store.put(p + "b", b("2"));
        memory.drainWatches();

        assertThat(log.events()).hasSize(2);
    }
}
