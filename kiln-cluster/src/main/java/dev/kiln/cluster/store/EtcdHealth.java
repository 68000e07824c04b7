package dev.kiln.cluster.store;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Readiness of an etcd member: its {@code /health} endpoint answers {@code {"health":"true"}} (it has a leader). */
final class EtcdHealth {
    private final HttpClient http;
    private final Duration requestTimeout;

    EtcdHealth(Duration requestTimeout) {
        this(requestTimeout, java.util.Optional.empty());
    }

    /** With {@code tls}: over HTTPS, trusting its authority and showing its client certificate. */
    EtcdHealth(Duration requestTimeout, java.util.Optional<EtcdTls> tls) {
        this.requestTimeout = requestTimeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(requestTimeout);
        tls.ifPresent(t -> builder.sslContext(t.sslContext()));
        this.http = builder.build();
    }

    boolean isHealthy(URI endpoint) {
        HttpRequest request = HttpRequest.newBuilder(endpoint.resolve("/health")).timeout(requestTimeout).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
