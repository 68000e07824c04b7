package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.host.HostAgent;
import dev.kiln.host.HostConfig;
import dev.kiln.host.TestHosts;
import dev.kiln.host.VmView;
import dev.kiln.host.fn.SlotManagerTest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The warm pool sized from demand, on real VM records with the fake driver (no hypervisor: the pool's logic is under
 * test, not the boot) and a clock the test moves: at least its floor, one more for each new Node of the profile in
 * the last five minutes, at most its cap, and back to the floor when the demand has passed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarmPoolTest {
    private static final Duration SETTLE = Duration.ofSeconds(30);
    private HostConfig config;
    private HostAgent agent;
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    void start() {
        config = TestHosts.config(true);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() {
        work.shutdownNow();
        if (agent != null) agent.cleanupAndClose();
        TestHosts.deleteTree(config.stateDir());
    }

    private static Node node(String name) {
        return Node.of(ObjectMeta.named(name), new NodeSpec("workers", Optional.of("h1"),
                NodeProfile.of(1, 256L << 20), "fake", false));
    }

    /** The pool's idle VMs, and whether all of them are booted and ready. */
    private List<VmView> idle(NodeVms claimed) {
        return agent.vms().list().stream().filter(v -> v.name().startsWith(WarmPool.PREFIX)
                && !claimed.isClaimed(v.name())).toList();
    }

    private void awaitIdleReady(NodeVms claimed, int count) {
        await().atMost(SETTLE).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<VmView> idle = idle(claimed);
            return idle.size() == count && idle.stream().allMatch(v -> v.ready() && v.phase().equals("running"));
        });
    }

    @Test
    void thePoolGrowsWithNewNodesUpToItsCapAndShrinksToItsFloorWhenTheDemandPasses() {
        SlotManagerTest.HandClock clock = new SlotManagerTest.HandClock();
        NodeVms claimed = new NodeVms(config.stateDir().resolve("nodes.json"));
        WarmPool pool = new WarmPool(agent.vms(), claimed, 1, 3, clock, work);

        assertThat(pool.take(node("a"))).as("nothing pre-booted yet: the first node boots its own").isEmpty();
        assertThat(pool.target(WarmPool.Profile.of(node("a")).orElseThrow())).isEqualTo(2);
        awaitIdleReady(claimed, 2);

        assertThat(pool.take(node("b"))).as("a pre-booted VM").isPresent();
        assertThat(claimed.isClaimed(claimed.vmOf("b"))).isTrue();
        awaitIdleReady(claimed, 3); // floor 1 + two new nodes
        clock.advance(Duration.ofMinutes(1));
        assertThat(pool.take(node("c"))).isPresent();
        assertThat(pool.take(node("d"))).isPresent();
        awaitIdleReady(claimed, 3); // 1 + four new nodes, capped at 3

        clock.advance(Duration.ofMinutes(4).plusSeconds(1)); // a and b are older than five minutes; c and d not
        pool.refill();
        assertThat(pool.target(WarmPool.Profile.of(node("a")).orElseThrow())).isEqualTo(3);
        clock.advance(Duration.ofMinutes(1)); // no new node for five minutes
        pool.refill();
        assertThat(pool.target(WarmPool.Profile.of(node("a")).orElseThrow())).isEqualTo(1);
        awaitIdleReady(claimed, 1);

        pool.removeIdle();
        for (String n : List.of("b", "c", "d")) {
            agent.vms().remove(claimed.vmOf(n), true);
        }
        await().atMost(SETTLE).until(() -> agent.vms().list().isEmpty());
    }

    @Test
    void aCapAtTheFloorIsAFixedSize() {
        SlotManagerTest.HandClock clock = new SlotManagerTest.HandClock();
        NodeVms claimed = new NodeVms(config.stateDir().resolve("nodes-fixed.json"));
        WarmPool pool = new WarmPool(agent.vms(), claimed, 1, 1, clock, work);

        assertThat(pool.take(node("e"))).isEmpty();
        awaitIdleReady(claimed, 1);
        assertThat(pool.take(node("f"))).isPresent();
        awaitIdleReady(claimed, 1);
        assertThat(pool.target(WarmPool.Profile.of(node("f")).orElseThrow())).isEqualTo(1);

        pool.removeIdle();
        agent.vms().remove(claimed.vmOf("f"), true);
        await().atMost(SETTLE).until(() -> agent.vms().list().isEmpty());
    }
}
