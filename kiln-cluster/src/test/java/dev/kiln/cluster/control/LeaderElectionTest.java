package dev.kiln.cluster.control;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.MemoryKvStore;
import dev.kiln.cluster.store.TestClock;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Leadership through a leased key, stepped by hand against the in-memory store and a manual clock. */
class LeaderElectionTest {
    private static final Duration TTL = Duration.ofSeconds(5);

    private final TestClock clock = new TestClock();
    private final MemoryKvStore store = KvStore.memory(clock);

    /** Records what the election told its owner. */
    private static final class Log implements LeaderElection.Listener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void elected() {
            calls.add("elected");
        }

        @Override
        public void deposed(String why) {
            calls.add("deposed: " + why);
        }
    }

    private LeaderElection member(KvStore kv, String name, Log log) {
        return new LeaderElection(kv, name, TTL, clock, log);
    }

    /** Advances the clock in steps of the election's period, stepping the given members each time. */
    private void run(Duration total, LeaderElection... members) {
        for (Duration d = Duration.ZERO; d.compareTo(total) < 0; d = d.plus(Duration.ofSeconds(1))) {
            clock.advance(Duration.ofSeconds(1));
            store.tick();
            for (LeaderElection m : members) {
                m.step();
            }
        }
    }

    @Test
    void theFirstCandidateLeadsAndTheOthersStandBy() {
        Log la = new Log();
        Log lb = new Log();
        LeaderElection a = member(store, "a", la);
        LeaderElection b = member(store, "b", lb);

        assertThat(a.step()).isTrue();
        assertThat(b.step()).isFalse();
        run(Duration.ofSeconds(30), a, b);

        assertThat(a.leading()).isTrue();
        assertThat(b.leading()).isFalse();
        assertThat(LeaderElection.leader(store)).contains("a");
        assertThat(la.calls).containsExactly("elected");
        assertThat(lb.calls).isEmpty();
    }

    @Test
    void aStandbyTakesOverWhenTheLeaderStopsRefreshing() {
        Log la = new Log();
        Log lb = new Log();
        LeaderElection a = member(store, "a", la);
        LeaderElection b = member(store, "b", lb);
        a.step();
        b.step();

        // a is frozen (not stepped): its lease ends after the TTL, then b leads
        run(TTL.minusSeconds(1), b);
        assertThat(b.leading()).as("not before the leader's lease ended").isFalse();
        run(Duration.ofSeconds(2), b);
        assertThat(b.leading()).isTrue();
        assertThat(LeaderElection.leader(store)).contains("b");

        // a wakes up: it learns that its lease ended and stops acting
        assertThat(a.step()).isFalse();
        assertThat(la.calls).containsExactly("elected", "deposed: its lease ended");
        assertThat(lb.calls).containsExactly("elected");
    }

    @Test
    void aResigningLeaderHandsOverAtTheNextStep() {
        Log la = new Log();
        LeaderElection a = member(store, "a", la);
        LeaderElection b = member(store, "b", new Log());
        a.step();
        b.step();

        a.close();

        assertThat(la.calls).containsExactly("elected", "deposed: resigned");
        assertThat(LeaderElection.leader(store)).isEmpty();
        assertThat(b.step()).isTrue();
    }

    @Test
    void aLeaderThatCannotReachTheStoreStepsDownBeforeItsLeaseCouldEnd() {
        AtomicBoolean down = new AtomicBoolean();
        KvStore flaky = failing(store, down);
        Log la = new Log();
        LeaderElection a = member(flaky, "a", la);
        LeaderElection b = member(store, "b", new Log());
        a.step();

        down.set(true);
        clock.advance(Duration.ofSeconds(1));
        assertThat(a.step()).as("one missed refresh is tolerated").isTrue();
        clock.advance(Duration.ofSeconds(2));
        assertThat(a.step()).as("past half the TTL without a refresh").isFalse();
        assertThat(la.calls).hasSize(2);
        assertThat(la.calls.get(1)).startsWith("deposed: the store has not answered for 3000 ms");

        // a's lease may still be alive in the store; b leads only once it ended, never beside a
        assertThat(b.step()).isFalse();
        run(TTL, b);
        assertThat(b.leading()).isTrue();
        down.set(false);
        assertThat(a.step()).isFalse();
    }

    @Test
    void neverTwoLeadersAmongMembersThatKeepStepping() {
        List<LeaderElection> members = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            members.add(member(store, name, new Log()));
        }
        for (int round = 0; round < 60; round++) {
            // every 10 rounds the current leader resigns
            if (round % 10 == 9) {
                members.stream().filter(LeaderElection::leading).forEach(LeaderElection::close);
            }
            clock.advance(Duration.ofSeconds(1));
            store.tick();
            members.forEach(LeaderElection::step);
            assertThat(members.stream().filter(LeaderElection::leading).count()).isLessThanOrEqualTo(1);
        }
        assertThat(members.stream().filter(LeaderElection::leading).count()).isEqualTo(1);
    }

    /** {@code kv}, except that every call fails with UNAVAILABLE while {@code down} is set. */
    private static KvStore failing(KvStore kv, AtomicBoolean down) {
        return (KvStore) Proxy.newProxyInstance(KvStore.class.getClassLoader(), new Class<?>[]{KvStore.class},
                (proxy, method, args) -> {
                    if (down.get()) {
                        throw new ClusterException(ClusterError.UNAVAILABLE, "store unreachable (test)", "");
                    }
                    try {
                        return method.invoke(kv, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
