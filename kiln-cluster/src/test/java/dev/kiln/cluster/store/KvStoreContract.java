package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link KvStore} must have. Each test works under its own random prefix, so a shared etcd
 * serves all of them. Subclasses say how to open a store and how to let lease time pass.
 */
abstract class KvStoreContract {
    static final Duration AWAIT = Duration.ofSeconds(15);

    KvStore store;
    String p;

    /** A fresh store (or a fresh client of a shared one). */
    abstract KvStore openStore();

    /** Lets {@code d} of lease time pass: the in-memory store's clock moves; real etcd needs real time. */
    abstract void letTimePass(Duration d);

    @BeforeEach
    void openIt() {
        store = openStore();
        p = "/test/" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeIt() {
        store.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void assertFails(ClusterError code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(ClusterException.class)
                .satisfies(e -> assertThat(((ClusterException) e).code()).isEqualTo(code));
    }

    @Test
    void createIsIfAbsent() {
        long rev = store.create(p + "k", b("one"));

        KeyValue kv = store.get(p + "k").orElseThrow();
        assertThat(kv.valueAsString()).isEqualTo("one");
        assertThat(kv.createRevision()).isEqualTo(rev);
        assertThat(kv.modRevision()).isEqualTo(rev);
        assertThat(kv.version()).isEqualTo(1);
        assertThat(kv.lease()).isZero();
        assertFails(ClusterError.ALREADY_EXISTS, () -> store.create(p + "k", b("two")));
        assertThat(store.get(p + "k").orElseThrow()).isEqualTo(kv);
        assertThat(store.get(p + "absent")).isEmpty();
    }

    @Test
    void updateWithTheCurrentRevisionSucceeds() {
        long created = store.create(p + "k", b("one"));

        long updated = store.update(p + "k", b("two"), created);

        KeyValue kv = store.get(p + "k").orElseThrow();
        assertThat(updated).isGreaterThan(created);
        assertThat(kv.valueAsString()).isEqualTo("two");
        assertThat(kv.modRevision()).isEqualTo(updated);
        assertThat(kv.createRevision()).isEqualTo(created);
        assertThat(kv.version()).isEqualTo(2);
    }

    @Test
    void updateWithAStaleRevisionConflicts() {
        long created = store.create(p + "k", b("one"));
        long first = store.update(p + "k", b("two"), created);

        assertFails(ClusterError.CONFLICT, () -> store.update(p + "k", b("three"), created));
        assertThat(store.get(p + "k").orElseThrow().valueAsString()).isEqualTo("two");
        assertThat(store.get(p + "k").orElseThrow().modRevision()).isEqualTo(first);
    }

    @Test
    void updateOfAnAbsentKeyIsNotFound() {
        long rev = store.put(p + "other", b("x"));

        assertFails(ClusterError.NOT_FOUND, () -> store.update(p + "k", b("one"), rev));
        assertThat(store.get(p + "k")).isEmpty();
    }

    @Test
    void putWritesWhateverIsThere() {
        long first = store.put(p + "k", b("one"));
        long second = store.put(p + "k", b("two"));

        KeyValue kv = store.get(p + "k").orElseThrow();
        assertThat(second).isGreaterThan(first);
        assertThat(kv.valueAsString()).isEqualTo("two");
        assertThat(kv.createRevision()).isEqualTo(first);
        assertThat(kv.version()).isEqualTo(2);
    }

    @Test
    void deleteWithRevisionChecksTheRevision() {
        long created = store.create(p + "k", b("one"));
        long updated = store.update(p + "k", b("two"), created);

        assertFails(ClusterError.CONFLICT, () -> store.delete(p + "k", created));
        assertThat(store.get(p + "k")).isPresent();
        assertThat(store.delete(p + "k", updated)).isTrue();
        assertThat(store.get(p + "k")).isEmpty();
        assertThat(store.delete(p + "k", updated)).isFalse();
    }

    @Test
    void unconditionalDeleteSaysWhetherThereWasAKey() {
        store.put(p + "k", b("one"));

        assertThat(store.delete(p + "k")).isTrue();
        assertThat(store.delete(p + "k")).isFalse();
        assertThat(store.get(p + "k")).isEmpty();
    }

    @Test
    void aDeletedKeyCanBeCreatedAgainWithANewCreateRevision() {
        long first = store.create(p + "k", b("one"));
        store.delete(p + "k", first);

        long second = store.create(p + "k", b("two"));

        KeyValue kv = store.get(p + "k").orElseThrow();
        assertThat(kv.createRevision()).isEqualTo(second).isGreaterThan(first);
        assertThat(kv.version()).isEqualTo(1);
    }

    @Test
    void listIsSortedByKeyAndStaysInsideThePrefix() {
        for (String key : List.of("a/2", "a/10", "ab", "a", "a/1", "b/1", "a/1/x")) {
            store.put(p + key, b(key));
        }

        List<String> keys = store.list(p + "a/").stream().map(KeyValue::key).toList();

        assertThat(keys).containsExactly(p + "a/1", p + "a/1/x", p + "a/10", p + "a/2");
        assertThat(store.list(p + "a/").getFirst().valueAsString()).isEqualTo("a/1");
        assertThat(store.list(p + "nothing/")).isEmpty();
    }

    @Test
    void listWithRevisionThenWatchSeesEveryLaterChangeOnce() {
        store.put(p + "a", b("1"));
        long last = store.put(p + "b", b("2"));

        Snapshot snapshot = store.listWithRevision(p);
        store.put(p + "c", b("3"));
        store.delete(p + "a");
        EventLog log = new EventLog();
        try (Watch _ = store.watch(p, snapshot.revision() + 1, log)) {
            store.put(p + "end", b("end"));
            await().atMost(AWAIT).until(() -> log.shape().contains("PUT " + p + "end=end"));
        }

        assertThat(snapshot.entries()).extracting(KeyValue::key).containsExactly(p + "a", p + "b");
        assertThat(snapshot.revision()).isGreaterThanOrEqualTo(last);
        assertThat(log.shape()).containsExactly("PUT " + p + "c=3", "DELETE " + p + "a", "PUT " + p + "end=end");
    }

    @Test
    void watchFromARevisionDeliversExactlyTheLaterEventsInOrder() {
        long a1 = store.put(p + "k/a", b("1"));
        long b2 = store.put(p + "k/b", b("2"));
        store.update(p + "k/a", b("3"), a1);
        store.delete(p + "k/b", b2);
        store.put(p + "other/x", b("not watched"));

        EventLog log = new EventLog();
        try (Watch watch = store.watch(p + "k/", b2, log)) {
            store.put(p + "k/c", b("4"));
            store.put(p + "kk", b("not watched either"));
            store.put(p + "k/end", b("end"));
            await().atMost(AWAIT).until(() -> log.shape().contains("PUT " + p + "k/end=end"));
            assertThat(watch.isClosed()).isFalse();
        }

        assertThat(log.shape()).containsExactly(
                "PUT " + p + "k/b=2", "PUT " + p + "k/a=3", "DELETE " + p + "k/b", "PUT " + p + "k/c=4",
                "PUT " + p + "k/end=end");
        List<Long> revisions = log.events().stream().map(KvStoreContract::revisionOf).toList();
        assertThat(revisions.getFirst()).isEqualTo(b2);
        assertThat(revisions).isSorted().doesNotHaveDuplicates();
        WatchEvent.Delete delete = (WatchEvent.Delete) log.events().get(2);
        assertThat(delete.previous()).hasValueSatisfying(prev -> assertThat(prev.valueAsString()).isEqualTo("2"));
        assertThat(log.threads()).containsOnly(log.threads().getFirst());
    }

    @Test
    void watchFromZeroStartsAfterNow() {
        store.put(p + "before", b("x"));
        EventLog log = new EventLog();

        try (Watch _ = store.watch(p, 0, log)) {
            store.put(p + "after", b("y"));
            await().atMost(AWAIT).until(() -> !log.events().isEmpty());
        }

        assertThat(log.shape()).containsExactly("PUT " + p + "after=y");
    }

    @Test
    void watchFromAFutureRevisionWaitsForIt() {
        long now = store.put(p + "a", b("1"));
        EventLog log = new EventLog();

        try (Watch _ = store.watch(p, now + 2, log)) {
            store.put(p + "b", b("2")); // now + 1 at the earliest: too early for this watch
            store.put(p + "c", b("3"));
            store.put(p + "end", b("end"));
            await().atMost(AWAIT).until(() -> log.shape().contains("PUT " + p + "end=end"));
        }

        assertThat(log.events()).allSatisfy(e -> assertThat(revisionOf(e)).isGreaterThanOrEqualTo(now + 2));
        assertThat(log.shape()).doesNotContain("PUT " + p + "a=1").contains("PUT " + p + "end=end");
    }

    @Test
    void aClosedWatchDeliversNothingMore() {
        EventLog closed = new EventLog();
        EventLog open = new EventLog();
        Watch watch = store.watch(p, 0, closed);
        try (Watch _ = store.watch(p, 0, open)) {
            store.put(p + "one", b("1"));
            await().atMost(AWAIT).until(() -> closed.events().size() == 1);
            watch.close();
            store.put(p + "two", b("2"));
            await().atMost(AWAIT).until(() -> open.events().size() == 2);
        }

        assertThat(watch.isClosed()).isTrue();
        assertThat(closed.shape()).containsExactly("PUT " + p + "one=1");
    }

    @Test
    void watchFromACompactedRevisionAsksForARelist() {
        long first = store.put(p + "k", b("1"));
        store.put(p + "k", b("2"));
        long third = store.put(p + "k", b("3"));
        store.compact(third);
        EventLog log = new EventLog();

        Watch watch = store.watch(p, first, log);

        await().atMost(AWAIT).until(() -> !log.events().isEmpty());
        assertThat(log.events().getFirst()).isInstanceOf(WatchEvent.Relist.class);
        await().atMost(AWAIT).until(watch::isClosed);
        store.compact(first); // at or below an earlier compaction: nothing to do
        assertThat(store.get(p + "k").orElseThrow().valueAsString()).isEqualTo("3");
        assertFails(ClusterError.INVALID, () -> store.compact(store.revision() + 1000));
    }

    @Test
    void anExpiredLeaseRemovesItsKeys() {
        long lease = store.grantLease(Duration.ofSeconds(2));
        long rev = store.create(p + "lease/k", b("v"), lease);
        assertThat(store.get(p + "lease/k").orElseThrow().lease()).isEqualTo(lease);
        EventLog log = new EventLog();

        try (Watch _ = store.watch(p + "lease/", rev + 1, log)) {
            letTimePass(Duration.ofSeconds(3));
            await().atMost(AWAIT).until(() -> store.get(p + "lease/k").isEmpty());
            await().atMost(AWAIT).until(() -> !log.events().isEmpty());
        }

        assertThat(log.shape()).containsExactly("DELETE " + p + "lease/k");
        assertFails(ClusterError.NOT_FOUND, () -> store.keepAlive(lease));
        assertFails(ClusterError.NOT_FOUND, () -> store.create(p + "lease/again", b("v"), lease));
    }

    @Test
    void revokingALeaseDeletesAllItsKeysInOneRevision() {
        long lease = store.grantLease(Duration.ofSeconds(60));
        long rev = store.create(p + "a", b("1"), lease);
        store.create(p + "b", b("2"), lease);
        store.keepAlive(lease);
        EventLog log = new EventLog();

        try (Watch _ = store.watch(p, rev + 1, log)) {
            store.revokeLease(lease);
            assertThat(store.list(p)).isEmpty();
            await().atMost(AWAIT).until(() -> log.events().size() == 3);
        }

        assertThat(log.shape()).containsExactly("PUT " + p + "b=2", "DELETE " + p + "a", "DELETE " + p + "b");
        assertThat(revisionOf(log.events().get(1))).isEqualTo(revisionOf(log.events().get(2)));
        store.revokeLease(lease); // already gone: nothing to do
        assertFails(ClusterError.NOT_FOUND, () -> store.keepAlive(lease));
    }

    @Test
    void updateKeepsTheLeaseAndPutDropsIt() {
        long lease = store.grantLease(Duration.ofSeconds(60));
        long kept = store.create(p + "kept", b("1"), lease);
        store.create(p + "dropped", b("1"), lease);

        store.update(p + "kept", b("2"), kept);
        store.put(p + "dropped", b("2"));
        store.revokeLease(lease);

        assertThat(store.get(p + "kept")).isEmpty();
        assertThat(store.get(p + "dropped").orElseThrow().lease()).isZero();
    }

    @Test
    void createWithAnUnknownLeaseIsNotFound() {
        assertFails(ClusterError.NOT_FOUND, () -> store.create(p + "k", b("v"), 0x7eadbeefL));
        assertFails(ClusterError.NOT_FOUND, () -> store.keepAlive(0x7eadbeefL));
        store.revokeLease(0x7eadbeefL);
        assertThat(store.get(p + "k")).isEmpty();
    }

    @Test
    void revisionsOnlyGrow() {
        long start = store.revision();
        long put = store.put(p + "a", b("1"));
        long created = store.create(p + "b", b("2"));
        long updated = store.update(p + "b", b("3"), created);
        store.delete(p + "a");
        long afterDelete = store.revision();

        assertThat(List.of(start, put, created, updated, afterDelete)).isSorted().doesNotHaveDuplicates();
        assertThat(store.listWithRevision(p).revision()).isGreaterThanOrEqualTo(afterDelete);
        assertThat(store.revision()).isGreaterThanOrEqualTo(afterDelete);
    }

    @Test
    void badArgumentsAreInvalid() {
        assertFails(ClusterError.INVALID, () -> store.get(""));
        assertFails(ClusterError.INVALID, () -> store.list(""));
        assertFails(ClusterError.INVALID, () -> store.create(p + "k", b("v"), 0));
        assertFails(ClusterError.INVALID, () -> store.delete(p + "k", 0));
        assertFails(ClusterError.INVALID, () -> store.update(p + "k", b("v"), 0));
        assertFails(ClusterError.INVALID, () -> store.grantLease(Duration.ZERO));
        assertFails(ClusterError.INVALID, () -> store.watch(p, -1, e -> { }));
    }

    static long revisionOf(WatchEvent e) {
        return switch (e) {
            case WatchEvent.Put put -> put.modRevision();
            case WatchEvent.Delete delete -> delete.modRevision();
            case WatchEvent.Relist relist -> -1;
        };
    }
}
