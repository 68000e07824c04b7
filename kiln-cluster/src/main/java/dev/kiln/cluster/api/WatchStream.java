package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.cluster.store.Watch;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /apis/kiln.dev/v1/<plural>?watch=true}: one store watch per request, written as chunked
 * {@code application/x-ndjson}, one {@code {"type":..,"object":..}} line per change. Without a resourceVersion the
 * current items come first as ADDED, then the changes after the listing. A DELETED object is the last version this
 * stream saw (with the deletion's resourceVersion), else just kind and name. A compacted history ends the stream
 * with an ERROR line. An empty line is written after each quiet heartbeat interval: it keeps the connection from
 * idling out and is how a client that went away is noticed (the write fails), which closes the store watch.
 */
final class WatchStream {
    private static final Logger LOG = LoggerFactory.getLogger(WatchStream.class);
    private static final byte[] HEARTBEAT = {'\n'};

    private final ResourceStore store;
    private final Duration heartbeat;
    /** The queues of the open streams; also the monitor that {@link #stopAll} waits on. */
    private final Set<BlockingQueue<ResourceStore.Change>> open = new HashSet<>();

    WatchStream(ResourceStore store, Duration heartbeat) {
        this.store = store;
        this.heartbeat = heartbeat;
    }

    /** How many watch streams are open now. */
    int open() {
        synchronized (open) {
            return open.size();
        }
    }

    /**
     * Ends every open stream with an ERROR line saying the server stops (each closes its store watch), and waits up
     * to {@code grace} for them to finish.
     */
    void stopAll(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (open) {
            open.forEach(q -> q.add(new ResourceStore.Change.Relist("the API server is stopping")));
            try {
                for (long left = grace.toMillis(); !open.isEmpty() && left > 0;
                     left = (deadline - System.nanoTime()) / 1_000_000) {
                    open.wait(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Serves one watch until the client goes away, the history is compacted or the server stops (the last two end
     * with an ERROR line). Errors before the first byte (such as an unreachable store) are thrown, so that the
     * caller answers them as a Status.
     */
    void serve(ApiCall.Watch call, Response response, Callback callback) {
        Kind kind = call.kind();
        List<Resource> initial;
        long from;
        if (call.resourceVersion().isPresent()) {
            initial = List.of();
            from = call.resourceVersion().getAsLong() + 1;
        } else {
            ResourceStore.Listing<Resource> listing = store.listing(kind);
            initial = listing.items();
            from = listing.revision() + 1;
        }
        BlockingQueue<ResourceStore.Change> queue = new LinkedBlockingQueue<>();
        Watch watch = store.watch(kind, from, queue::add);
        synchronized (open) {
            open.add(queue);
        }
        try {
            stream(kind, initial, queue, response);
            callback.succeeded();
        } catch (IOException e) {
            LOG.debug("watch of {} ended: the client went away ({})", kind.plural(), e.toString());
            callback.failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed(e);
        } finally {
            watch.close();
            synchronized (open) {
                open.remove(queue);
                open.notifyAll();
            }
        }
    }

    private void stream(Kind kind, List<Resource> initial, BlockingQueue<ResourceStore.Change> queue, Response response)
            throws IOException, InterruptedException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        Map<String, Resource> known = new HashMap<>();
        OutputStream out = Content.Sink.asOutputStream(response);
        for (Resource r : initial) {
            known.put(r.name(), r);
            out.write(ApiJson.eventLine("ADDED", ApiJson.node(r)));
        }
        out.flush();
        while (true) {
            ResourceStore.Change next = queue.poll(heartbeat.toMillis(), TimeUnit.MILLISECONDS);
            if (next == null) {
                out.write(HEARTBEAT);
            } else {
                switch (next) {
                    case ResourceStore.Change.Put put -> {
                        known.put(put.resource().name(), put.resource());
                        out.write(ApiJson.eventLine(put.created() ? "ADDED" : "MODIFIED",
                                ApiJson.node(put.resource())));
                    }
                    case ResourceStore.Change.Deleted d -> out.write(ApiJson.eventLine("DELETED",
                            deleted(kind, d, known.remove(d.name()))));
                    case ResourceStore.Change.Relist r -> {
                        out.write(ApiJson.eventLine("ERROR", ApiJson.message("the watch of " + kind.plural()
                                + " cannot go on: " + r.reason() + "; list again and watch from the list's"
                                + " resourceVersion")));
                        out.close();
                        return;
                    }
                }
            }
            out.flush();
        }
    }

    private static ObjectNode deleted(Kind kind, ResourceStore.Change.Deleted d, Resource last) {
        if (last == null) {
            return ApiJson.minimal(kind, d.name(), d.revision());
        }
        return ApiJson.node(last.withMetadata(last.metadata().withResourceVersion(Long.toString(d.revision()))));
    }
}
