package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.store.ResourceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Answers, for a host that cannot reach the store, whether the rest of the cluster goes on without it (so it must
 * fence itself before its pods are run elsewhere): yes when another host's cluster API says its store answers
 * ({@code GET /healthz} is 200), or when no other host answers at all (this host is the one cut off). No when other
 * hosts answer and none reaches the store: the store is down for everyone, nobody can declare this host Lost, and
 * killing its pods would only turn an etcd outage into an outage of every pod. A host with no peers never fences.
 *
 * <p>It also knows the other Ready hosts' image registries, for {@link PeerImages}, and their cluster APIs, for
 * {@link PeerFunctions}. The peers are the other registered hosts as last read from the store (refreshed by
 * {@link #refresh()}); each one's API is at its address and the port its Host records ({@code spec.apiPort}), or
 * this host's own API port for a Host that records none (written by an older kiln).
 */
final class PeerWitness implements BooleanSupplier, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerWitness.class);
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);

    private final ResourceStore store;
    private final String self;
    private final int apiPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(ASK_TIMEOUT).build();
    private volatile List<URI> peers = List.of();
    private volatile List<URI> registries = List.of();
    private volatile java.util.Map<String, URI> apis = java.util.Map.of();
    private final int registryPort;
    private volatile Thread loop;

    PeerWitness(ResourceStore store, String self, int apiPort, int registryPort) {
        this.registryPort = registryPort;
        this.store = store;
        this.self = self;
        this.apiPort = apiPort;
    }

    /** Re-reads the other hosts' addresses; keeps the last list when the store cannot be read. */
    void refresh() {
        try {
            List<Host> others = store.list(Host.class).stream().filter(h -> !h.name().equals(self)).toList();
            peers = others.stream().filter(h -> !h.spec().address().isEmpty()).map(h -> api(h.spec(), apiPort))
                    .sorted().toList();
            registries = others.stream().filter(h -> h.status().phase() == dev.kiln.cluster.model.HostPhase.READY)
                    .map(h -> h.spec().subnet()).filter(sn -> !sn.isEmpty())
                    .map(sn -> URI.create("http://" + dev.kiln.net.Ipv4Cidr.parse(sn).gateway() + ":" + registryPort))
                    .sorted().toList();
            apis = others.stream().filter(h -> h.status().phase() == dev.kiln.cluster.model.HostPhase.READY)
                    .filter(h -> !h.spec().address().isEmpty())
                    .collect(java.util.stream.Collectors.toUnmodifiableMap(Host::name,
                            h -> api(h.spec(), apiPort)));
        } catch (ClusterException e) {
            LOG.debug("peers not refreshed: {}", e.getMessage());
        }
    }

    /** Refreshes now, then every 5 s in the background until {@link #close()}. */
    PeerWitness start() {
        refresh();
        loop = Thread.ofPlatform().daemon().name("kiln-peer-witness").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    return;
                }
                refresh();
            }
        });
        return this;
    }

    @Override
    public void close() {
        Thread t = loop;
        if (t != null) {
            t.interrupt();
        }
    }

    /** The image registries of the other Ready hosts on the cluster network (their bridge address). */
    List<URI> registries() {
        return registries;
    }

    /** The cluster APIs of the other Ready hosts, by host name. */
    java.util.Map<String, URI> apis() {
        return apis;
    }

    /** The cluster APIs of the other registered hosts, in any phase: the ones asked whether the store answers. */
    List<URI> peers() {
        return peers;
    }

    /**
     * Where a host's cluster API is: {@code http://<address>:<its apiPort>}, or {@code fallbackPort} when its Host
     * records no port (0: written by a kiln that did not record it).
     */
    static URI api(dev.kiln.cluster.model.HostSpec host, int fallbackPort) {
        String address = host.address().contains(":") && !host.address().startsWith("[") ? "[" + host.address() + "]"
                : host.address();
        return URI.create("http://" + address + ":" + (host.apiPort() > 0 ? host.apiPort() : fallbackPort));
    }

    @Override
    public boolean getAsBoolean() {
        List<URI> ask = peers;
        if (ask.isEmpty()) {
            return false;
        }
        List<CompletableFuture<Integer>> answers = ask.stream().map(this::healthz).toList();
        int answered = 0;
        for (CompletableFuture<Integer> a : answers) {
            int code = a.join();
            if (code == 200) {
                LOG.info("a peer reaches the store while this host does not: this host is the one cut off");
                return true;
            }
            if (code > 0) {
                answered++;
            }
        }
        return answered == 0;
    }

    /** The peer's {@code /healthz} status, or 0 when it does not answer in time. */
    private CompletableFuture<Integer> healthz(URI api) {
        HttpRequest request = HttpRequest.newBuilder(api.resolve("/healthz"))
                .timeout(ASK_TIMEOUT).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode)
                .exceptionally(e -> 0);
    }
}
