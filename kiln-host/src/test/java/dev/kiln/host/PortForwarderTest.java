package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real sockets on loopback: an upper-casing echo server stands in for the guest. */
class PortForwarderTest {
    private final PortForwarder forwarder = new PortForwarder(InetAddress.getLoopbackAddress());
    private ServerSocket guest;

    @BeforeEach
    void startGuest() throws IOException {
        guest = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!guest.isClosed()) {
                try (Socket s = guest.accept()) {
                    byte[] in = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(new String(in, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        forwarder.close();
        guest.close();
    }

    @Test
    void relaysBothWaysAndEndsWithItsOwner() throws IOException {
        int port = LoopbackSockets.freePort();
        forwarder.open(List.of(new PortForwarder.Forward("c1", port, "127.0.0.1", guest.getLocalPort())));
        assertThat(LoopbackSockets.roundTrip(port, "hello")).isEqualTo("HELLO");
        assertThat(LoopbackSockets.roundTrip(port, "again")).isEqualTo("AGAIN");

        forwarder.close("c1");
        assertThat(forwarder.forwards()).isEmpty();
        assertThatThrownBy(() -> LoopbackSockets.roundTrip(port, "x")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aPortTakenByAnotherProgramIsRefusedAndNothingStaysOpen() throws IOException {
        int free = LoopbackSockets.freePort();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> forwarder.open(List.of(
                    new PortForwarder.Forward("c2", free, "127.0.0.1", guest.getLocalPort()),
                    new PortForwarder.Forward("c2", taken.getLocalPort(), "127.0.0.1", guest.getLocalPort()))))
                    .isInstanceOf(HostException.class)
                    .hasMessageContaining("host port " + taken.getLocalPort() + "/tcp is already in use")
                    .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.PORT_IN_USE);
        }
        // the first forward of the failed group was undone
        assertThat(forwarder.forwards()).isEmpty();
        assertThatThrownBy(() -> LoopbackSockets.roundTrip(free, "x")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aPortKilnAlreadyForwardsIsRefused() {
        int port = LoopbackSockets.freePort();
        forwarder.open(List.of(new PortForwarder.Forward("c3", port, "127.0.0.1", guest.getLocalPort())));
        assertThatThrownBy(() -> forwarder.open(List.of(new PortForwarder.Forward("c4", port, "127.0.0.1", 80))))
                .isInstanceOf(HostException.class).hasMessageContaining("host port " + port + "/tcp is already in use by"
                        + " kiln's forward for c3");
    }

    @Test
    void targetsTakeTurnsAmongThePreferredOnesAndFallBackToTheOthers() {
        var a = new PortForwarder.Target("10.0.0.1", 80);
        var b = new PortForwarder.Target("10.0.0.2", 80);
        var c = new PortForwarder.Target("10.0.0.3", 80);
        var d = new PortForwarder.Target("10.0.0.4", 80);
        var targets = new PortForwarder.Targets(List.of(a, b), List.of(c, d));
        assertThat(targets.order(0)).containsExactly(a, b, c, d);
        assertThat(targets.order(1)).containsExactly(b, a, d, c);
        assertThat(targets.order(2)).containsExactly(a, b, c, d);
        // no preferred target: the others take turns
        var remoteOnly = new PortForwarder.Targets(List.of(), List.of(c, d, a));
        assertThat(List.of(remoteOnly.order(0).getFirst(), remoteOnly.order(1).getFirst(),
                remoteOnly.order(2).getFirst(), remoteOnly.order(3).getFirst())).containsExactly(c, d, a, c);
        assertThat(new PortForwarder.Targets(List.of(), List.of()).order(5)).isEmpty();
    }

    @Test
    void connectionsRotateOverTheTargetsWhichChangeInPlaceAndADeadOneIsSkipped() throws IOException {
        try (ServerSocket a = tagging("A"); ServerSocket b = tagging("B"); ServerSocket c = tagging("C")) {
            int port = LoopbackSockets.freePort();
            int dead = LoopbackSockets.freePort(); // nothing listens there
            forwarder.open(List.of(new PortForwarder.Forward("cluster", port, new PortForwarder.Targets(
                    List.of(), List.of(target(a), target(b))))));
            assertThat(List.of(LoopbackSockets.roundTrip(port, "1"), LoopbackSockets.roundTrip(port, "2"), LoopbackSockets.roundTrip(port, "3"), LoopbackSockets.roundTrip(port, "4")))
                    .containsExactly("A1", "B2", "A3", "B4");

            // a local target appears: it takes every connection; the others stay as fallbacks
            assertThat(forwarder.retarget("cluster", PortForwarder.Protocol.TCP, port, new PortForwarder.Targets(List.of(target(c)),
                    List.of(target(a))))).isTrue();
            assertThat(List.of(LoopbackSockets.roundTrip(port, "5"), LoopbackSockets.roundTrip(port, "6"))).containsExactly("C5", "C6");

            // a target that refuses: the connection goes on to the next one
            forwarder.retarget("cluster", PortForwarder.Protocol.TCP, port, new PortForwarder.Targets(
                    List.of(new PortForwarder.Target("127.0.0.1", dead)), List.of(target(b))));
            assertThat(LoopbackSockets.roundTrip(port, "7")).isEqualTo("B7");

            assertThat(forwarder.forwards()).singleElement().satisfies(f -> {
                assertThat(f.owner()).isEqualTo("cluster");
                assertThat(f.targets().others()).containsExactly(target(b));
            });
            // only the owner retargets or closes its port
            assertThat(forwarder.retarget("c9", PortForwarder.Protocol.TCP, port, PortForwarder.Targets.of("127.0.0.1", 1))).isFalse();
            forwarder.close("c9", PortForwarder.Protocol.TCP, port);
            assertThat(LoopbackSockets.roundTrip(port, "8")).isEqualTo("B8");
            forwarder.close("cluster", PortForwarder.Protocol.TCP, port);
            assertThat(forwarder.forwards()).isEmpty();
            assertThatThrownBy(() -> LoopbackSockets.roundTrip(port, "x")).isInstanceOf(ConnectException.class);
        }
    }

    private static PortForwarder.Target target(ServerSocket s) {
        return new PortForwarder.Target("127.0.0.1", s.getLocalPort());
    }

    /** A server on loopback that answers each connection with its tag and what it read. */
    private static ServerSocket tagging(String tag) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    byte[] in = s.getInputStream().readAllBytes();
                    s.getOutputStream().write((tag + new String(in, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }
}
