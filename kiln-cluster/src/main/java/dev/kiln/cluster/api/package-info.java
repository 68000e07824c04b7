/**
 * The cluster's REST API (docs/CLUSTER-API.md): {@link dev.kiln.cluster.api.ClusterApiServer} serves
 * {@code /apis/kiln.dev/v1/<plural>[/<name>]} over a {@link dev.kiln.cluster.store.ResourceStore} with Jetty on
 * virtual threads, and {@link dev.kiln.cluster.api.ClusterClient} is its Java client on {@code java.net.http}.
 * Resources travel as the same JSON as their manifests; every error is a Kubernetes-shaped {@code Status} body that
 * the client turns back into the {@link dev.kiln.cluster.ClusterException} the server threw.
 *
 * <p>Inside: {@code Routes} turns a request into one {@code ApiCall} (a sealed interface), {@code ApiHandler}
 * dispatches it with an exhaustive switch, {@code ResourceCalls} and {@code ServerSideApply} do the reads and
 * writes, {@code WatchStream} and {@code PodLogs} stream, and {@code ApiErrors} is the one place that maps errors
 * to statuses and back.
 */
package dev.kiln.cluster.api;
