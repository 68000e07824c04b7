package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterClient.ResourceEvent;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.MemoryKvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Watch streams: order, the initial items, resuming from a version, compaction, and closing from either side. */
class WatchTest {
    static final Duration HEARTBEAT = Duration.ofMillis(100);

    MemoryKvStore memory;
    CountingKvStore kv;
    ResourceStore store;
    ClusterApiServer server;
    ClusterClient client;
    final List<ResourceEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        memory = KvStore.memory(Clock.systemUTC());
        kv = new CountingKvStore(memory);
        store = new ResourceStore(kv, Clock.systemUTC());
        server = ClusterApiServer.start(store, "127.0.0.1", 0, Optional.empty(),
                ApiSettings.DEFAULTS.withHeartbeat(HEARTBEAT));
        client = ClusterClient.connect(server.uri(), server.token());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        memory.close();
    }

    private List<String> seen() {
        return events.stream().map(e -> e.type() + " " + e.object().map(Resource::name)
                .orElse(e.message().orElse(""))).toList();
    }

    @Test
    void deliversAddedModifiedDeletedInOrderAfterTheCurrentItems() throws Exception {
        client.create(Fixtures.deployment("old", 1, "old"));

        try (AutoCloseable _ = client.watch(Kind.DEPLOYMENT, Optional.empty(), events::add)) {
            await().until(() -> events.size() == 1);
            Deployment web = (Deployment) client.create(Fixtures.deployment("web", 1, "web"));
            client.scale(Kind.DEPLOYMENT, "web", 3);
            client.delete(Kind.DEPLOYMENT, "web");
            client.delete(Kind.DEPLOYMENT, "old");

            await().until(() -> events.size() == 5);
            assertThat(seen()).containsExactly("ADDED old", "ADDED web", "MODIFIED web", "DELETED web",
                    "DELETED old");
            Deployment modified = (Deployment) events.get(2).object().orElseThrow();
            assertThat(modified.spec().replicas()).isEqualTo(3);
            Deployment deleted = (Deployment) events.get(3).object().orElseThrow();
            assertThat(deleted.spec().replicas()).as("the last version seen").isEqualTo(3);
            assertThat(deleted.metadata().uid()).isEqualTo(web.metadata().uid());
            assertThat(Long.parseLong(deleted.metadata().resourceVersion().orElseThrow()))
                    .as("the deletion's revision").isEqualTo(memory.revision() - 1);
        }
    }

    @Test
    void fromAResourceVersionDeliversOnlyLaterChangesAndMinimalDeletes() throws Exception {
        client.create(Fixtures.deployment("web", 1, "web"));
        String version = client.get(Kind.DEPLOYMENT, "web").metadata().resourceVersion().orElseThrow();
        client.create(Fixtures.deployment("api", 1, "api"));
        client.delete(Kind.DEPLOYMENT, "web");

        try (AutoCloseable _ = client.watch(Kind.DEPLOYMENT, Optional.of(version), events::add)) {
            await().until(() -> events.size() == 2);
            assertThat(seen()).containsExactly("ADDED api", "DELETED web");
            Resource deleted = events.get(1).object().orElseThrow();
            assertThat(deleted.metadata().uid()).as("never seen by this stream: only kind and name").isEmpty();
        }
    }

    @Test
    void closingTheWatchStopsEventsAndClosesTheServersStoreWatch() throws Exception {
        AutoCloseable watch = client.watch(Kind.DEPLOYMENT, Optional.empty(), events::add);
        client.create(Fixtures.deployment("web", 1, "web"));
        await().until(() -> events.size() == 1);
        assertThat(kv.openWatches()).isEqualTo(1);
        assertThat(server.openWatches()).isEqualTo(1);

        watch.close();
        client.create(Fixtures.deployment("api", 1, "api"));

        await().atMost(Duration.ofSeconds(5)).until(() -> kv.openWatches() == 0 && server.openWatches() == 0);
        assertThat(kv.watchesOpened()).isEqualTo(1);
        assertThat(seen()).containsExactly("ADDED web");
    }

    @Test
    void aRawClientThatHangsUpIsNoticed() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(server.uri()
                .resolve("/apis/kiln.dev/v1/deployments?watch=true")).header("Authorization", server.token().header())
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/x-ndjson");
        client.create(Fixtures.deployment("web", 1, "web"));
        BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        String line = lines.readLine();
        while (line.isBlank()) {
            line = lines.readLine();
        }
        assertThat(line).startsWith("{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"kiln.dev/v1\",\"kind\":"
                + "\"Deployment\",\"metadata\":{\"name\":\"web\"");
        assertThat(kv.openWatches()).isEqualTo(1);

        r.body().close();
        http.shutdownNow();

        await().atMost(Duration.ofSeconds(5)).until(() -> kv.openWatches() == 0);
    }

    @Test
    void aCompactedVersionEndsTheStreamWithAnError() {
        client.create(Fixtures.deployment("web", 1, "web"));
        client.scale(Kind.DEPLOYMENT, "web", 2);
        memory.compact(memory.revision());

        client.watch(Kind.DEPLOYMENT, Optional.of("1"), events::add);

        await().until(() -> events.size() == 1);
        assertThat(events.getFirst().type()).isEqualTo("ERROR");
        assertThat(events.getFirst().message()).hasValueSatisfying(m -> assertThat(m)
                .startsWith("the watch of deployments cannot go on: revision 2 has been compacted")
                .endsWith("list again and watch from the list's resourceVersion"));
        await().until(() -> kv.openWatches() == 0);
    }

    @Test
    void stoppingTheServerEndsTheWatchWithAnError() {
        client.watch(Kind.DEPLOYMENT, Optional.empty(), events::add);
        await().until(() -> server.openWatches() == 1);

        server.close();

        await().until(() -> events.size() == 1);
        assertThat(events.getFirst().type()).isEqualTo("ERROR");
        assertThat(events.getFirst().message()).hasValueSatisfying(m -> assertThat(m)
                .contains("the API server is stopping"));
        await().until(() -> kv.openWatches() == 0);
    }

    @Test
    void aRefusedWatchThrowsAtOnce() {
        ClusterException bad = catchThrowableOfType(ClusterException.class,
                () -> client.watch(Kind.DEPLOYMENT, Optional.of("x"), events::add));
        assertThat(bad.code()).isEqualTo(ClusterError.INVALID);

        memory.close();
        ClusterException down = catchThrowableOfType(ClusterException.class,
                () -> client.watch(Kind.DEPLOYMENT, Optional.empty(), events::add));
        assertThat(down.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(events).isEmpty();
    }

    @Test
    void eventsOfOtherKindsAreNotDelivered() throws Exception {
        try (AutoCloseable _ = client.watch(Kind.POD, Optional.empty(), events::add)) {
            client.create(Fixtures.deployment("web", 1, "web"));
            client.create(Fixtures.pod("web-x"));

            await().until(() -> events.size() == 1);
            assertThat(seen()).containsExactly("ADDED web-x");
        }
    }
}
