package dev.kiln.vmm.firecracker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Host-initiated connections to a guest over Firecracker's hybrid vsock: connect to the device's Unix socket, send
 * {@code CONNECT <port>\n}, and Firecracker answers {@code OK <host port>\n} once the guest accepted on that vsock
 * port; from then on the socket carries the guest connection's bytes. If nothing listens in the guest, Firecracker
 * closes the socket instead of answering.
 *
 * <p>The handshake is read one byte at a time so that no byte the guest sends right after it is consumed here.
 */
public final class HybridVsock {
    /** {@code OK} and a u32: "OK 1073741824" is 13 bytes; anything much longer is not the protocol. */
    static final int MAX_REPLY = 32;
    private static final Pattern OK = Pattern.compile("OK ([0-9]{1,10})");
    private static final long MAX_PORT = 0xFFFF_FFFFL;

    private HybridVsock() {}

    /** A connected stream to a guest vsock port. Closing it closes the connection. */
    public static final class Connection implements AutoCloseable {
        private final SocketChannel channel;
        private final long hostPort;
        private final InputStream in;
        private final OutputStream out;

        private Connection(SocketChannel channel, long hostPort) {
            this.channel = channel;
            this.hostPort = hostPort;
            this.in = Channels.newInputStream(channel);
            this.out = Channels.newOutputStream(channel);
        }

        /** The port Firecracker gave the host end, from its {@code OK} line. */
        public long hostPort() {
            return hostPort;
        }

        public InputStream input() {
            return in;
        }

        public OutputStream output() {
            return out;
        }

        /** The underlying blocking channel. */
        public SocketChannel channel() {
            return channel;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // closing: nothing to act on
            }
        }
    }

    /**
     * Connects to guest port {@code port} through the vsock Unix socket {@code uds}; the whole handshake must finish
     * within {@code timeout}.
     */
    public static Connection connect(Path uds, long port, Duration timeout) {
        Objects.requireNonNull(uds, "uds");
        Objects.requireNonNull(timeout, "timeout");
        if (port < 0 || port > MAX_PORT) {
            throw FcChecks.invalid("vsock port " + port + " is outside 0.." + MAX_PORT, "use the guest agent's port");
        }
        FcChecks.socketPath("vsock socket", uds);
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new VsockException(VsockException.Failure.NO_SOCKET, "cannot open a Unix socket: " + e, "retry", e);
        }
        try {
            try {
                ch.connect(UnixDomainSocketAddress.of(uds));
            } catch (IOException e) {
                throw new VsockException(VsockException.Failure.NO_SOCKET, "cannot connect to vsock socket " + uds + ": "
                        + e.getMessage(), "is the VM running, with a vsock device (channel VSOCK)?", e);
            }
            ch.write(ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
            String reply = readLine(ch, uds, port, deadline, timeout);
            Matcher m = OK.matcher(reply);
            if (!m.matches() || Long.parseLong(m.group(1)) > MAX_PORT) {
                throw new VsockException(VsockException.Failure.GARBAGE, "vsock " + uds + " answered CONNECT " + port
                        + " with '" + printable(reply) + "', not 'OK <port>'", "is " + uds + " a Firecracker vsock"
                        + " socket? kiln speaks Firecracker's hybrid vsock protocol", null);
            }
            ch.configureBlocking(true);
            return new Connection(ch, Long.parseLong(m.group(1)));
        } catch (IOException e) {
            closeQuietly(ch);
            throw new VsockException(VsockException.Failure.REFUSED, "vsock connection to guest port " + port + " via "
                    + uds + " failed: " + e.getMessage(), "is the guest agent listening on port " + port + "?", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Reads up to and without the first {@code \n}, byte by byte, within the deadline. */
    private static String readLine(SocketChannel ch, Path uds, long port, long deadline, Duration timeout)
            throws IOException {
        ch.configureBlocking(false);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_READ);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new VsockException(VsockException.Failure.TIMED_OUT, "vsock " + uds + " did not answer CONNECT "
                            + port + " within " + timeout, "is the VM paused or its guest stuck?", null);
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                int n;
                while ((n = ch.read(one.clear())) > 0) {
                    byte b = one.get(0);
                    if (b == '\n') {
                        return line.toString(StandardCharsets.US_ASCII); // closing the selector deregisters the channel
                    }
                    line.write(b);
                    if (line.size() > MAX_REPLY) {
                        throw new VsockException(VsockException.Failure.GARBAGE, "vsock " + uds + " answered CONNECT "
                                + port + " with more than " + MAX_REPLY + " bytes and no line end: '"
                                + printable(line.toString(StandardCharsets.US_ASCII)) + "'",
                                "is " + uds + " a Firecracker vsock socket?", null);
                    }
                }
                if (n < 0) {
                    throw new VsockException(VsockException.Failure.REFUSED, "the guest refused vsock port " + port
                            + " (Firecracker closed " + uds + (line.size() == 0 ? " without an answer)"
                            : " after '" + printable(line.toString(StandardCharsets.US_ASCII)) + "')"),
                            "start the guest agent, or wait until it listens on vsock port " + port, null);
                }
            }
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return out.toString();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing after a failure
        }
    }
}
