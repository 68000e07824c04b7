package dev.kiln.cluster.api;

import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /apis/kiln.dev/v1/pods/<name>/log}: copies a {@link PodLogSource}'s stream to the client as
 * {@code text/plain}, flushing after every read. The source is closed when it ends, when a write fails (the client
 * went away) and when the request fails (such as an idle timeout while following a quiet container).
 */
final class PodLogs {
    private static final Logger LOG = LoggerFactory.getLogger(PodLogs.class);

    private final ResourceStore store;
    private final Optional<PodLogSource> source;

    PodLogs(ResourceStore store, Optional<PodLogSource> source) {
        this.store = store;
        this.source = source;
    }

    void serve(ApiCall.PodLog call, Request request, Response response, Callback callback) {
        PodLogSource logs = source.orElseThrow(() -> ApiProblem.notImplemented("this API server has no pod logs:"
                + " it was started without a node runtime to read them from", "read the logs on the pod's host, or"
                + " run the API server inside `kiln up`"));
        Pod pod = store.get(Pod.class, call.pod()).orElseThrow(() -> ResourceStore.notFound(Kind.POD, call.pod()));
        InputStream in = logs.open(pod, call.container(), call.follow());
        request.addFailureListener(failure -> closeQuietly(in));
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        try (in) {
            OutputStream out = Content.Sink.asOutputStream(response);
            out.flush();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            out.close();
            callback.succeeded();
        } catch (IOException e) {
            LOG.debug("log of pod {} ended: {}", call.pod(), e.toString());
            callback.failed(e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            LOG.debug("closing a pod log stream failed", e);
        }
    }
}
