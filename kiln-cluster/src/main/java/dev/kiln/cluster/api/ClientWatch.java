package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reading side of {@link ClusterClient#watch}: reads the ndjson stream on a virtual thread and hands each event
 * to the consumer. Empty lines (the server's heartbeats) are skipped. An end that {@link #close()} did not cause is
 * reported as one last ERROR event.
 */
final class ClientWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientWatch.class);

    private final Kind kind;
    private final URI server;
    private final InputStream body;
    private final Consumer<ClusterClient.ResourceEvent> onEvent;
    private final Consumer<ClientWatch> onEnd;
    private volatile boolean closed;
    private Thread thread;

    ClientWatch(Kind kind, URI server, InputStream body, Consumer<ClusterClient.ResourceEvent> onEvent,
                Consumer<ClientWatch> onEnd) {
        this.kind = kind;
        this.server = server;
        this.body = body;
        this.onEvent = onEvent;
        this.onEnd = onEnd;
    }

    synchronized void start() {
        thread = Thread.ofVirtual().name("kiln-watch-" + kind.plural()).start(this::run);
    }

    private void run() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                ClusterClient.ResourceEvent event = parse(line);
                deliver(event);
                if (event.type().equals("ERROR")) {
                    return;
                }
            }
            deliver(error("the API server at " + server + " ended the watch of " + kind.plural()));
        } catch (IOException e) {
            deliver(error("lost the watch of " + kind.plural() + " from " + server + ": " + e.getMessage()));
        } catch (ClusterException e) {
            deliver(error("cannot read the watch of " + kind.plural() + ": " + e.getMessage()));
        } finally {
            onEnd.accept(this);
        }
    }

    private ClusterClient.ResourceEvent parse(String line) throws IOException {
        JsonNode n = ApiJson.TREE.readTree(line);
        String type = n.path("type").asText();
        JsonNode object = n.path("object");
        if (type.equals("ERROR")) {
            return new ClusterClient.ResourceEvent(type, Optional.empty(),
                    Optional.of(object.path("message").asText("the watch ended")));
        }
        try {
            return new ClusterClient.ResourceEvent(type, Optional.of(ApiJson.resource(object)), Optional.empty());
        } catch (ClusterException e) {
            if (!type.equals("DELETED")) {
                throw e;
            }
            // A minimal object of a kind that needs more than a name (an Event): say what went.
            String name = object.path("metadata").path("name").asText();
            return new ClusterClient.ResourceEvent(type, Optional.empty(),
                    Optional.of(kind.manifestName().toLowerCase() + " '" + name + "' was deleted"));
        }
    }

    private static ClusterClient.ResourceEvent error(String message) {
        return new ClusterClient.ResourceEvent("ERROR", Optional.empty(), Optional.of(message));
    }

    private void deliver(ClusterClient.ResourceEvent event) {
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                onEvent.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("a watch consumer of {} failed on {}", kind.plural(), event.type(), e);
            }
        }
    }

    /** Stops the watch: closes the stream (the server then closes its store watch); no event is delivered after. */
    @Override
    public void close() {
        Thread reader;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            reader = thread;
        }
        try {
            body.close();
        } catch (IOException e) {
            LOG.debug("closing the watch stream of {} failed", kind.plural(), e);
        }
        if (reader != null && reader != Thread.currentThread()) {
            reader.interrupt();
            try {
                reader.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
