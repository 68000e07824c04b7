package dev.kiln.vmm.firecracker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A fake of Firecracker's side of the hybrid vsock, on a real Unix socket: it reads {@code CONNECT <port>\n} and
 * answers as the port's scripted behaviour says. {@link Behaviour#ECHO} answers {@code OK} and, in the same write, a
 * greeting from the "guest", then echoes what it reads.
 */
final class FakeVsockPeer implements AutoCloseable {
    static final long HOST_PORT = 1073741824L;
    static final String GREETING = "hello from the guest\n";

    enum Behaviour { ECHO, CLOSE, SILENT, GARBAGE, ENDLESS }

    private final ServerSocketChannel server;
    private final Path socket;
    private final Map<Long, Behaviour> ports;

    private FakeVsockPeer(Path socket, Map<Long, Behaviour> ports) throws IOException {
        this.socket = socket;
        this.ports = Map.copyOf(ports);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().name("fake-vsock").start(this::acceptLoop);
    }

    static FakeVsockPeer start(Path socket, Map<Long, Behaviour> ports) throws IOException {
        return new FakeVsockPeer(socket, ports);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().start(() -> serve(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            String request = line.toString(StandardCharsets.US_ASCII);
            long port = request.startsWith("CONNECT ") ? Long.parseLong(request.substring(8)) : -1;
            switch (ports.getOrDefault(port, Behaviour.CLOSE)) {
                case ECHO -> {
                    out.write(("OK " + HOST_PORT + "\n" + GREETING).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.transferTo(out);
                }
                case CLOSE -> { }
                case SILENT -> Thread.sleep(10_000);
                case GARBAGE -> out.write("HTTP/1.1 400 Bad Request\r\n".getBytes(StandardCharsets.US_ASCII));
                case ENDLESS -> out.write("O".repeat(200).getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
