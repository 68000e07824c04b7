package dev.kiln.host;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A UDP server on loopback that stands in for a pod: it answers each datagram with its tag and the datagram (or the
 * datagram alone when the tag is empty, or a fixed answer) to where it came from, and remembers who sent what.
 */
public final class UdpBackend implements AutoCloseable {
    private final String tag;
    private final Optional<byte[]> answer;
    private final DatagramSocket socket;
    private final List<SocketAddress> senders = new ArrayList<>();
    private final Thread thread;

    private UdpBackend(String tag, Optional<byte[]> answer) throws IOException {
        this.tag = tag;
        this.answer = answer;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.thread = Thread.ofVirtual().name("udp-backend-" + tag).start(this::serve);
    }

    /** Answers {@code tag} followed by what came. */
    public static UdpBackend tagging(String tag) throws IOException {
        return new UdpBackend(tag, Optional.empty());
    }

    /** Answers what came, byte for byte. */
    public static UdpBackend echo() throws IOException {
        return new UdpBackend("", Optional.empty());
    }

    /** Answers {@code answer}, whatever came. */
    public static UdpBackend answering(byte[] answer) throws IOException {
        return new UdpBackend("", Optional.of(answer.clone()));
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** Where each datagram came from, in order: a forward's session shows up as one address. */
    public synchronized List<SocketAddress> senders() {
        return List.copyOf(senders);
    }

    private void serve() {
        byte[] buf = new byte[65_535];
        byte[] prefix = tag.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        while (!socket.isClosed()) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(in);
                synchronized (this) {
                    senders.add(in.getSocketAddress());
                }
                byte[] out = answer.orElseGet(() -> new byte[prefix.length + in.getLength()]);
                if (answer.isEmpty()) {
                    System.arraycopy(prefix, 0, out, 0, prefix.length);
                    System.arraycopy(in.getData(), 0, out, prefix.length, in.getLength());
                }
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
