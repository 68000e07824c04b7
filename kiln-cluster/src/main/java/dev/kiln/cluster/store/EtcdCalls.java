package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Waits for jetcd's futures with the store's timeout and turns every failure into a {@link ClusterException}: the one
 * place that maps gRPC and etcd errors to cluster error codes.
 */
final class EtcdCalls {
    static final String HINT = "start it with `kiln up`, or pass --etcd URL";

    private final String endpoints;
    private final Duration timeout;

    EtcdCalls(List<URI> endpoints, Duration timeout) {
        this.endpoints = endpoints.stream().map(URI::toString).collect(Collectors.joining(","));
        this.timeout = timeout;
    }

    Duration timeout() {
        return timeout;
    }

    String endpoints() {
        return endpoints;
    }

    /** The result of {@code call}, or a ClusterException once it fails or {@link #timeout()} has passed. */
    <T> T await(CompletableFuture<T> call) {
        try {
            return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw unreachable("no answer within " + seconds(timeout), e);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterError.UNAVAILABLE, "interrupted while waiting for etcd at " + endpoints,
                    e);
        } catch (ExecutionException | CompletionException e) {
            throw failure(e.getCause() == null ? e : e.getCause());
        }
    }

    /** The cluster error for a failed etcd call. */
    ClusterException failure(Throwable t) {
        if (t instanceof ClusterException c) {
            return c;
        }
        if (t instanceof ClosedClientException) {
            return new ClusterException(ClusterError.UNAVAILABLE, "the etcd client is closed", t);
        }
        String code = t instanceof EtcdException e ? e.getErrorCode().name() : Status.fromThrowable(t).getCode().name();
        String detail = describe(t);
        return switch (code) {
            case "UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED" -> unreachable(detail, t);
            case "NOT_FOUND" -> new ClusterException(ClusterError.NOT_FOUND, detail, t);
            case "INVALID_ARGUMENT", "OUT_OF_RANGE", "FAILED_PRECONDITION" ->
                    new ClusterException(ClusterError.INVALID, "etcd refused the request: " + detail, t);
            case "RESOURCE_EXHAUSTED" -> new ClusterException(ClusterError.UNAVAILABLE,
                    "etcd at " + endpoints + " is out of space or overloaded: " + detail,
                    "check `etcdctl alarm list`; compact and defragment the store", t);
            default -> new ClusterException(ClusterError.INTERNAL, "etcd call failed (" + code + "): " + detail, t);
        };
    }

    private ClusterException unreachable(String detail, Throwable cause) {
        return new ClusterException(ClusterError.UNAVAILABLE,
                "etcd at " + endpoints + " is unreachable: " + detail, HINT, cause);
    }

    /** The most specific message in the cause chain ("Connection refused: /127.0.0.1:2379"), not gRPC's wrapping. */
    private static String describe(Throwable t) {
        String best = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank()) {
                best = m;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return best == null ? t.getClass().getSimpleName() : best;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
