package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where the other hosts' APIs are (each on the port its Host records), and asking them whether the store answers. */
class PeerWitnessTest {
    private final Clock clock = Clock.systemUTC();
    private final ResourceStore store = new ResourceStore(KvStore.memory(clock), clock);
    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    private void register(String name, String address, int apiPort, HostPhase phase) {
        Host h = store.create(Host.of(ObjectMeta.named(name), new HostSpec(address, Resources.ZERO, "", "", apiPort)));
        store.update(h.withStatus(new HostStatus(phase, Optional.of(clock.instant()), Resources.ZERO,
                Optional.empty(), Optional.empty())));
    }

    /** A host API on loopback whose {@code /healthz} answers {@code status}; returns its port. */
    private int healthz(int status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/healthz", exchange -> {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aHostsApiIsOnItsOwnPortOrOnOursWhenItsHostRecordsNone() {
        assertThat(PeerWitness.api(new HostSpec("192.0.2.7", Resources.ZERO, "", "", 7171), 7070))
                .isEqualTo(URI.create("http://192.0.2.7:7171"));
        assertThat(PeerWitness.api(new HostSpec("192.0.2.7", Resources.ZERO, "10.90.7.0/24"), 7070))
                .isEqualTo(URI.create("http://192.0.2.7:7070"));
        assertThat(PeerWitness.api(new HostSpec("fd00::7", Resources.ZERO, "", "", 7171), 7070))
                .isEqualTo(URI.create("http://[fd00::7]:7171"));
    }

    @Test
    void thePeersAreTheOtherHostsAndTheApisTheReadyOnes() {
        register("h1", "192.0.2.1", 7070, HostPhase.READY);
        register("h2", "192.0.2.2", 7272, HostPhase.READY);
        register("h3", "192.0.2.3", 0, HostPhase.READY);
        register("h4", "192.0.2.4", 7474, HostPhase.LOST);
        PeerWitness witness = new PeerWitness(store, "h1", 7070, 10080);
        witness.refresh();
        assertThat(witness.peers()).containsExactly(URI.create("http://192.0.2.2:7272"),
                URI.create("http://192.0.2.3:7070"), URI.create("http://192.0.2.4:7474"));
        assertThat(witness.apis()).isEqualTo(Map.of("h2", URI.create("http://192.0.2.2:7272"),
                "h3", URI.create("http://192.0.2.3:7070")));
    }

    @Test
    void aPeerOnAnotherApiPortIsAskedThere() throws IOException {
        // on this host's own port, at the peer's address, a store-less API answers: asked there, it would hold back
        int ours = healthz(503);
        register("h1", "127.0.0.1", ours, HostPhase.READY);
        register("h2", "127.0.0.1", healthz(200), HostPhase.READY);
        PeerWitness witness = new PeerWitness(store, "h1", ours, 10080);
        witness.refresh();
        assertThat(witness.getAsBoolean()).as("h2 reaches the store: this host is the one cut off").isTrue();
    }

    @Test
    void whenThePeersAnswerButNoneReachesTheStoreTheHostDoesNotFence() throws IOException {
        int ours = closedPort(); // asked there, nobody would answer, and the host would fence
        register("h1", "127.0.0.1", ours, HostPhase.READY);
        register("h2", "127.0.0.1", healthz(503), HostPhase.READY);
        register("h3", "127.0.0.1", healthz(503), HostPhase.SUSPECT);
        PeerWitness witness = new PeerWitness(store, "h1", ours, 10080);
        witness.refresh();
        assertThat(witness.getAsBoolean()).isFalse();
    }
}
