package dev.kiln.host;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Loopback sockets for the port-forward tests: free TCP and UDP ports, one TCP request-response round trip, and UDP
 * clients that send a datagram and wait for the answer.
 */
public final class LoopbackSockets {
    private LoopbackSockets() {}

    /** Sends {@code text} to {@code port} on the loopback address, closes its side, and returns all that came back. */
    public static String roundTrip(int port, String text) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A loopback port nothing listens on now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback UDP port nothing is bound to now. */
    public static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback port number that is free for TCP and UDP both. */
    public static int freePortForBoth() {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                         tcp.getLocalPort()))) {
                return udp.getLocalPort();
            } catch (IOException e) {
                // that number's UDP port is taken: try another
            }
        }
        throw new IllegalStateException("no loopback port free for both TCP and UDP");
    }

    /** A UDP client on loopback (a port of its own), waiting {@code wait} at most for each answer. */
    public static DatagramSocket udpClient(Duration wait) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout((int) wait.toMillis());
        return s;
    }

    /**
     * Sends {@code text} from {@code client} to {@code port} on loopback and returns the next datagram that comes
     * back; a {@link java.net.SocketTimeoutException} when none does in time.
     */
    public static String udpRoundTrip(DatagramSocket client, int port, String text) throws IOException {
        return new String(udpRoundTrip(client, port, text.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** {@link #udpRoundTrip(DatagramSocket, int, String)} with bytes. */
    public static byte[] udpRoundTrip(DatagramSocket client, int port, byte[] data) throws IOException {
        client.send(new DatagramPacket(data, data.length, InetAddress.getLoopbackAddress(), port));
        DatagramPacket in = new DatagramPacket(new byte[65_535], 65_535);
        client.receive(in);
        return java.util.Arrays.copyOf(in.getData(), in.getLength());
    }
}
