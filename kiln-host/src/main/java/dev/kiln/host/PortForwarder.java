package dev.kiln.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host port forwards ({@code -p HOSTPORT:PORT}): the daemon listens on the host port and pipes every accepted
 * connection to the guest's address, one virtual thread per direction. A proxy in the daemon, rather than an
 * nftables DNAT, because it also serves {@code localhost} on the host (DNAT of locally generated traffic to
 * 127.0.0.1 needs route_localnet and a source NAT), and because a taken port is found the honest way: the bind
 * fails. Forwards belong to an owner (a container id) and end with it, or with the daemon.
 */
final class PortForwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwarder.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** One forward: connections to {@code hostPort} on the host go to {@code guestIp:guestPort}. */
    record Forward(String owner, int hostPort, String guestIp, int guestPort) {
        Forward {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(guestIp, "guestIp");
            if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
                throw new HostException(HostError.INVALID_SPEC, "port " + hostPort + ":" + guestPort + " is out of range",
                        "ports are 1..65535");
            }
        }
    }

    private record Open(Forward forward, ServerSocket server, Set<Socket> connections, Thread[] acceptor) {}

    private final InetAddress bindAddress;
    private final Map<Integer, Open> open = new ConcurrentHashMap<>();

    /** Forwards listening on all host addresses (the usual meaning of {@code -p}). */
    PortForwarder() {
        this(new InetSocketAddress(0).getAddress());
    }

    PortForwarder(InetAddress bindAddress) {
        this.bindAddress = bindAddress;
    }

    /**
     * Starts all forwards of an owner, or none: a port that is taken undoes the ones opened before it.
     *
     * @throws HostException PORT_IN_USE naming the port
     */
    synchronized void open(List<Forward> forwards) {
        var opened = new ArrayList<Integer>();
        try {
            for (Forward f : forwards) {
                if (open.containsKey(f.hostPort())) {
                    throw portInUse(f.hostPort(), "by kiln's forward for " + open.get(f.hostPort()).forward().owner());
                }
                ServerSocket server = new ServerSocket();
                try {
                    server.setReuseAddress(true);
                    server.bind(new InetSocketAddress(bindAddress, f.hostPort()), 128);
                } catch (BindException e) {
                    server.close();
                    throw portInUse(f.hostPort(), "by another program (" + e.getMessage() + ")");
                }
                Open o = new Open(f, server, ConcurrentHashMap.newKeySet(), new Thread[1]);
                open.put(f.hostPort(), o);
                opened.add(f.hostPort());
                o.acceptor()[0] = Thread.ofVirtual().name("forward-" + f.hostPort()).start(() -> accept(o));
                LOG.info("forwarding host port {} to {}:{} for {}", f.hostPort(), f.guestIp(), f.guestPort(), f.owner());
            }
        } catch (IOException e) {
            opened.forEach(this::closePort);
            throw new HostException(HostError.HOST_ERROR, "cannot open a host port: " + e.getMessage(), "check the host", e);
        } catch (RuntimeException e) {
            opened.forEach(this::closePort);
            throw e;
        }
    }

    /** Ends every forward of an owner and its open connections; idempotent. */
    synchronized void close(String owner) {
        open.values().stream().filter(o -> o.forward().owner().equals(owner)).map(o -> o.forward().hostPort())
                .toList().forEach(this::closePort);
    }

    /** The forwards now open. */
    List<Forward> forwards() {
        return open.values().stream().map(Open::forward).toList();
    }

    @Override
    public synchronized void close() {
        List.copyOf(open.keySet()).forEach(this::closePort);
    }

    private void closePort(int port) {
        Open o = open.remove(port);
        if (o == null) {
            return;
        }
        closeQuietly(o.server());
        // A socket closed while a thread blocks in accept() is released when that thread leaves accept(): wait for
        // it, so the port no longer listens once this returns.
        try {
            if (o.acceptor()[0] != null && !o.acceptor()[0].join(Duration.ofSeconds(5))) {
                LOG.warn("the acceptor of host port {} did not end within 5 s", port);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        o.connections().forEach(PortForwarder::closeQuietly);
    }

    private void accept(Open o) {
        while (!o.server().isClosed()) {
            Socket client;
            try {
                client = o.server().accept();
            } catch (IOException e) {
                return; // closed
            }
            o.connections().add(client);
            Thread.ofVirtual().name("forward-" + o.forward().hostPort() + "-conn").start(() -> relay(o, client));
        }
    }

    private static void relay(Open o, Socket client) {
        Forward f = o.forward();
        try (client; Socket guest = new Socket()) {
            guest.connect(new InetSocketAddress(f.guestIp(), f.guestPort()), (int) CONNECT_TIMEOUT.toMillis());
            o.connections().add(guest);
            Thread back = Thread.ofVirtual().start(() -> pipe(guest, client));
            pipe(client, guest);
            back.join();
            o.connections().remove(guest);
        } catch (IOException e) {
            LOG.debug("forward {} -> {}:{}: {}", f.hostPort(), f.guestIp(), f.guestPort(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            o.connections().remove(client);
        }
    }

    /** Copies until end of stream, then half-closes the other side so the peer sees the end too. */
    private static void pipe(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            in.transferTo(out);
            to.shutdownOutput();
        } catch (SocketException e) {
            closeQuietly(to); // the other side went away: end both directions
        } catch (IOException e) {
            closeQuietly(to);
        }
    }

    private static HostException portInUse(int port, String byWhom) {
        return new HostException(HostError.PORT_IN_USE, "host port " + port + " is already in use " + byWhom,
                "choose another host port in -p HOSTPORT:PORT, or stop what uses it");
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }
}
