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
        int port = freePort();
        forwarder.open(List.of(new PortForwarder.Forward("c1", port, "127.0.0.1", guest.getLocalPort())));
        assertThat(roundTrip(port, "hello")).isEqualTo("HELLO");
        assertThat(roundTrip(port, "again")).isEqualTo("AGAIN");

        forwarder.close("c1");
        assertThat(forwarder.forwards()).isEmpty();
        assertThatThrownBy(() -> roundTrip(port, "x")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aPortTakenByAnotherProgramIsRefusedAndNothingStaysOpen() throws IOException {
        int free = freePort();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> forwarder.open(List.of(
                    new PortForwarder.Forward("c2", free, "127.0.0.1", guest.getLocalPort()),
                    new PortForwarder.Forward("c2", taken.getLocalPort(), "127.0.0.1", guest.getLocalPort()))))
                    .isInstanceOf(HostException.class)
                    .hasMessageContaining("host port " + taken.getLocalPort() + " is already in use")
                    .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.PORT_IN_USE);
        }
        // the first forward of the failed group was undone
        assertThat(forwarder.forwards()).isEmpty();
        assertThatThrownBy(() -> roundTrip(free, "x")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aPortKilnAlreadyForwardsIsRefused() {
        int port = freePort();
        forwarder.open(List.of(new PortForwarder.Forward("c3", port, "127.0.0.1", guest.getLocalPort())));
        assertThatThrownBy(() -> forwarder.open(List.of(new PortForwarder.Forward("c4", port, "127.0.0.1", 80))))
                .isInstanceOf(HostException.class).hasMessageContaining("by kiln's forward for c3");
    }

    private static String roundTrip(int port, String text) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
