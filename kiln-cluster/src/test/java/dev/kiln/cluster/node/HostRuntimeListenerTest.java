package dev.kiln.cluster.node;

import dev.kiln.cluster.control.Res;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The host runtime tells its pass listeners (the cluster's host ports) what each pass planned from. */
class HostRuntimeListenerTest {
    @Test
    void eachListenerGetsThePassesViewAndAFailingOneFailsNeitherThePassNorTheOthers() {
        Clock clock = Clock.fixed(Res.T0, ZoneOffset.UTC);
        ResourceStore store = new ResourceStore(KvStore.memory(clock), clock);
        HostRuntime runtime = new HostRuntime("h1", store, new SimBackend("h1", clock, Resources.of("2", "4Gi"),
                Duration.ofSeconds(2), Duration.ofSeconds(1)), clock, Duration.ofSeconds(1));
        store.create(Pod.of(ObjectMeta.named("p1"), Res.podSpec("100m", "64Mi")));
        List<String> seen = new ArrayList<>();
        runtime.onEachPass((nodes, pods) -> {
            throw new IllegalStateException("a listener that fails");
        });
        runtime.onEachPass((nodes, pods) -> seen.add(nodes.size() + " nodes, pods " + pods.stream().map(Pod::name)
                .toList()));

        runtime.pass();
        store.create(Pod.of(ObjectMeta.named("p2"), Res.podSpec("100m", "64Mi")));
        runtime.pass();
        assertThat(seen).containsExactly("0 nodes, pods [p1]", "0 nodes, pods [p1, p2]");
    }
}
