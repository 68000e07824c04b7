package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.api.ClusterClient.ResourceEvent;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.EtcdProcess;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The basic flow on a real etcd, started for this class on free ports in a temporary directory. */
class EtcdApiTest {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final dev.kiln.cluster.store.RealEtcd etcd = new dev.kiln.cluster.store.RealEtcd();

    @Test
    void createWatchScaleDelete() throws Exception {
        CountingKvStore kv = new CountingKvStore(KvStore.etcd(List.of(etcd.endpoint())));
        ResourceStore store = new ResourceStore(kv, Clock.systemUTC());
        List<ResourceEvent> events = new CopyOnWriteArrayList<>();
        try (kv; ClusterApiServer server = ClusterApiServer.start(store, "127.0.0.1", 0, Optional.empty(),
                ApiSettings.DEFAULTS.withHeartbeat(Duration.ofMillis(200)));
             ClusterClient client = ClusterClient.connect(server.uri(), server.token())) {
            client.health();
            Resource created = client.create(Fixtures.deployment("web", 2, "web"));
            AutoCloseable watch = client.watch(Kind.DEPLOYMENT, Optional.empty(), events::add);

            client.scale(Kind.DEPLOYMENT, "web", 3);
            assertThat(client.apply(Fixtures.deployment("web", 3, "web")).action()).isEqualTo("unchanged");
            assertThat(client.list(Kind.DEPLOYMENT, Map.of("app", "web"))).extracting(Resource::name)
                    .containsExactly("web");
            client.delete(Kind.DEPLOYMENT, "web");

            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
            assertThat(events).extracting(ResourceEvent::type).containsExactly("ADDED", "MODIFIED", "DELETED");
            assertThat(events.get(0).object()).contains(created);
            assertThat(((Deployment) events.get(2).object().orElseThrow()).spec().replicas()).isEqualTo(3);

            watch.close();
            // the store's watch closes first, then the stream ends and the server counts it closed
            await().atMost(Duration.ofSeconds(10)).until(() -> kv.openWatches() == 0 && server.openWatches() == 0);
        }
    }
}
