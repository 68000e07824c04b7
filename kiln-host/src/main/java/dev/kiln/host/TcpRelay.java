package dev.kiln.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP host port of a {@link PortForwarder}: a listening socket, a virtual thread that accepts, and per
 * connection two virtual threads that copy one direction each to the target the connection got from its turn.
 */
final class TcpRelay implements PortForwarder.Relay {
    private static final Logger LOG = LoggerFactory.getLogger(TcpRelay.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final PortForwarder.Turns turns;
    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private TcpRelay(String name, PortForwarder.Turns turns, ServerSocket server) {
        this.name = name;
        this.turns = turns;
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("forward-" + name.replace('/', '-')).start(this::accept);
    }

    /**
     * Listens on {@code at}, {@code name} (e.g. {@code 8080/tcp}) naming the port in logs.
     *
     * @throws java.net.BindException when another socket holds the port
     */
    static TcpRelay open(String name, InetSocketAddress at, PortForwarder.Turns turns) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(at, 128);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return new TcpRelay(name, turns, server);
    }

    @Override
    public void close() {
        PortForwarder.closeQuietly(server);
        // A socket closed while a thread blocks in accept() is released when that thread leaves accept(): wait for
        // it, so the port no longer listens once this returns.
        try {
            if (!acceptor.join(Duration.ofSeconds(5))) {
                LOG.warn("the acceptor of host port {} did not end within 5 s", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.forEach(PortForwarder::closeQuietly);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.add(client);
            Thread.ofVirtual().name("forward-" + name.replace('/', '-') + "-conn").start(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        List<PortForwarder.Target> order = turns.next();
        try (client) {
            Optional<Socket> guest = connect(order);
            if (guest.isEmpty()) {
                return;
            }
            try (Socket g = guest.get()) {
                connections.add(g);
                Thread back = Thread.ofVirtual().start(() -> pipe(g, client));
                pipe(client, g);
                back.join();
            } finally {
                connections.remove(guest.get());
            }
        } catch (IOException e) {
            LOG.debug("forward {}: {}", name, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(client);
        }
    }

    /** The first target of {@code order} that accepts a connection; empty when none did. */
    private Optional<Socket> connect(List<PortForwarder.Target> order) {
        for (PortForwarder.Target t : order) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(t.ip(), t.port()), (int) CONNECT_TIMEOUT.toMillis());
                return Optional.of(s);
            } catch (IOException e) {
                PortForwarder.closeQuietly(s);
                LOG.debug("forward {}: {} did not accept: {}", name, t, e.getMessage());
            }
        }
        if (order.isEmpty()) {
            LOG.debug("forward {}: no target; connection closed", name);
        } else {
            LOG.warn("forward {}: none of {} accepted a connection", name, order);
        }
        return Optional.empty();
    }

    /** Copies until end of stream, then half-closes the other side so the peer sees the end too. */
    private static void pipe(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            in.transferTo(out);
            to.shutdownOutput();
        } catch (IOException e) {
            PortForwarder.closeQuietly(to); // the other side went away: end both directions
        }
    }
}
