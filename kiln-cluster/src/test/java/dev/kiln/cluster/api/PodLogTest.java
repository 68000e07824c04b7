package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET .../pods/<name>/log}: streamed from the PodLogSource, 501 without one, 404 for an unknown pod. */
class PodLogTest {
    ResourceStore store = new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC());
    ClusterApiServer server;
    ClusterClient client;

    /** What the source was asked for. */
    record Opened(String pod, Optional<String> container, boolean follow) {
    }

    final List<Opened> opened = new CopyOnWriteArrayList<>();

    void start(Optional<PodLogSource> logs) {
        server = ClusterApiServer.start(store, "127.0.0.1", 0, logs);
        client = ClusterClient.connect(server.uri(), server.token());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        store.kv().close();
    }

    @Test
    void copiesTheSourcesOutput() throws IOException {
        start(Optional.of((pod, container, follow) -> {
            opened.add(new Opened(pod.name(), container, follow));
            return new ByteArrayInputStream("line 1\nline 2\n".getBytes(StandardCharsets.UTF_8));
        }));
        store.create(Fixtures.pod("web-x"));

        try (InputStream in = client.podLog("web-x", Optional.of("sidecar"), false)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("line 1\nline 2\n");
        }
        assertThat(opened).containsExactly(new Opened("web-x", Optional.of("sidecar"), false));
        assertThat(Fixtures.get(server, "/apis/kiln.dev/v1/pods/web-x/log").headers()
                .firstValue("Content-Type")).contains("text/plain; charset=utf-8");
    }

    @Test
    void followStreamsUntilTheClientHangsUpAndThenClosesTheSource() throws Exception {
        PipedOutputStream container = new PipedOutputStream();
        AtomicBoolean sourceClosed = new AtomicBoolean();
        PipedInputStream source = new PipedInputStream(container) {
            @Override
            public void close() throws IOException {
                sourceClosed.set(true);
                super.close();
            }
        };
        start(Optional.of((Pod pod, Optional<String> c, boolean follow) -> {
            opened.add(new Opened(pod.name(), c, follow));
            return source;
        }));
        store.create(Fixtures.pod("web-x"));

        InputStream in = client.podLog("web-x", Optional.empty(), true);
        container.write("hello\n".getBytes(StandardCharsets.UTF_8));
        container.flush();
        byte[] first = in.readNBytes(6);
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(opened).containsExactly(new Opened("web-x", Optional.empty(), true));

        in.close();
        // The server notices at its next write.
        await().until(() -> {
            try {
                container.write("more\n".getBytes(StandardCharsets.UTF_8));
                container.flush();
            } catch (IOException e) {
                return true;
            }
            return sourceClosed.get();
        });
    }

    @Test
    void withoutASourceIs501() {
        start(Optional.empty());
        store.create(Fixtures.pod("web-x"));

        ClusterException e = catchThrowableOfType(ClusterException.class,
                () -> client.podLog("web-x", Optional.empty(), false));

        assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("this API server has no pod logs");
        assertThat(Fixtures.get(server, "/apis/kiln.dev/v1/pods/web-x/log").statusCode()).isEqualTo(501);
    }

    @Test
    void anUnknownPodIs404AndSourceErrorsPassThrough() {
        start(Optional.of((pod, container, follow) -> {
            throw new ClusterException(ClusterError.NOT_FOUND, "pod '" + pod.name() + "' has no container '"
                    + container.orElse("") + "'", "its containers are main, sidecar");
        }));
        store.create(Fixtures.pod("web-x"));

        ClusterException unknown = catchThrowableOfType(ClusterException.class,
                () -> client.podLog("nope", Optional.empty(), false));
        ClusterException noContainer = catchThrowableOfType(ClusterException.class,
                () -> client.podLog("web-x", Optional.of("db"), false));

        assertThat(unknown.code()).isEqualTo(ClusterError.NOT_FOUND);
        assertThat(unknown.getMessage()).isEqualTo("pod 'nope' not found");
        assertThat(noContainer.code()).isEqualTo(ClusterError.NOT_FOUND);
        assertThat(noContainer.hint()).contains("its containers are main, sidecar");
    }
}
