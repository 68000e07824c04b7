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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host port forwards ({@code -p HOSTPORT:PORT}): the daemon listens on the host port and pipes every accepted
 * connection to the guest's address, one virtual thread per direction. A proxy in the daemon, rather than an
 * nftables DNAT, because it also serves {@code localhost} on the host (DNAT of locally generated traffic to
 * 127.0.0.1 needs route_localnet and a source NAT), and because a taken port is found the honest way: the bind
 * fails. Forwards belong to an owner (a container id, or {@code cluster} for the cluster's host ports) and end
 * with it, or with the daemon.
 *
 * <p>A forward's target may be a list ({@link Targets}): each connection goes to the next one in turn among the
 * preferred targets (those on this host), or among the others when there is none, and on to the rest when a
 * connect fails. {@link #retarget} replaces the list in place; connections already made keep their target.
 */
public final class PortForwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwarder.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How many targets one connection tries before it gives up. */
    private static final int MAX_TRIES = 3;

    /** A place a forward connects to. */
    public record Target(String ip, int port) {
        public Target {
            Objects.requireNonNull(ip, "ip");
            if (port < 1 || port > 65535) {
                throw new HostException(HostError.INVALID_SPEC, "target port " + port + " is out of range",
                        "ports are 1..65535");
            }
        }

        @Override
        public String toString() {
            return ip + ":" + port;
        }
    }

    /**
     * Where a forward's connections go: {@code preferred} targets take turns; {@code others} only when there are
     * no preferred ones, or after the preferred ones failed to connect.
     */
    public record Targets(List<Target> preferred, List<Target> others) {
        public Targets {
            preferred = List.copyOf(preferred);
            others = List.copyOf(others);
        }

        /** A single target. */
        public static Targets of(String ip, int port) {
            return new Targets(List.of(new Target(ip, port)), List.of());
        }

        public boolean isEmpty() {
            return preferred.isEmpty() && others.isEmpty();
        }

        /**
         * The targets to try for connection number {@code n}, in order: the turn-taking group (the preferred
         * targets, or the others when there are none) starting at {@code n} modulo its size, then the rest, also
         * starting at {@code n}.
         */
        public List<Target> order(long n) {
            List<Target> first = preferred.isEmpty() ? others : preferred;
            List<Target> rest = preferred.isEmpty() ? List.of() : others;
            List<Target> out = new ArrayList<>(first.size() + rest.size());
            out.addAll(rotated(first, n));
            out.addAll(rotated(rest, n));
            return out;
        }

        private static List<Target> rotated(List<Target> list, long n) {
            if (list.isEmpty()) {
                return list;
            }
            int start = (int) Math.floorMod(n, (long) list.size());
            List<Target> out = new ArrayList<>(list.subList(start, list.size()));
            out.addAll(list.subList(0, start));
            return out;
        }

        @Override
        public String toString() {
            if (preferred.isEmpty() || others.isEmpty()) {
                return preferred.isEmpty() ? others.toString() : preferred.toString();
            }
            return preferred + " then " + others;
        }
    }

    /** One forward: connections to {@code hostPort} on the host go to its {@code targets}. */
    public record Forward(String owner, int hostPort, Targets targets) {
        public Forward {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(targets, "targets");
            if (hostPort < 1 || hostPort > 65535) {
                throw new HostException(HostError.INVALID_SPEC, "host port " + hostPort + " is out of range",
                        "ports are 1..65535");
            }
        }

        /** A forward to one guest address and port. */
        public Forward(String owner, int hostPort, String guestIp, int guestPort) {
            this(owner, hostPort, Targets.of(guestIp, guestPort));
        }
    }

    private record Open(String owner, int hostPort, AtomicReference<Targets> targets, AtomicLong next,
                        ServerSocket server, Set<Socket> connections, Thread[] acceptor) {
        Forward forward() {
            return new Forward(owner, hostPort, targets.get());
        }
    }

    private final InetAddress bindAddress;
    private final Map<Integer, Open> open = new ConcurrentHashMap<>();

    /** Forwards listening on all host addresses (the usual meaning of {@code -p}). */
    PortForwarder() {
        this(new InetSocketAddress(0).getAddress());
    }

    public PortForwarder(InetAddress bindAddress) {
        this.bindAddress = bindAddress;
    }

    /**
     * Starts all forwards of an owner, or none: a port that is taken undoes the ones opened before it.
     *
     * @throws HostException PORT_IN_USE naming the port
     */
    public synchronized void open(List<Forward> forwards) {
        var opened = new ArrayList<Integer>();
        try {
            for (Forward f : forwards) {
                if (open.containsKey(f.hostPort())) {
                    throw portInUse(f.hostPort(), "by kiln's forward for " + open.get(f.hostPort()).owner());
                }
                ServerSocket server = new ServerSocket();
                try {
                    server.setReuseAddress(true);
                    server.bind(new InetSocketAddress(bindAddress, f.hostPort()), 128);
                } catch (BindException e) {
                    server.close();
                    throw portInUse(f.hostPort(), "by another program (" + e.getMessage() + ")");
                }
                Open o = new Open(f.owner(), f.hostPort(), new AtomicReference<>(f.targets()), new AtomicLong(),
                        server, ConcurrentHashMap.newKeySet(), new Thread[1]);
                open.put(f.hostPort(), o);
                opened.add(f.hostPort());
                o.acceptor()[0] = Thread.ofVirtual().name("forward-" + f.hostPort()).start(() -> accept(o));
                LOG.info("forwarding host port {} to {} for {}", f.hostPort(), f.targets(), f.owner());
            }
        } catch (IOException e) {
            opened.forEach(this::closePort);
            throw new HostException(HostError.HOST_ERROR, "cannot open a host port: " + e.getMessage(), "check the host", e);
        } catch (RuntimeException e) {
            opened.forEach(this::closePort);
            throw e;
        }
    }

    /**
     * Gives an open forward of {@code owner} new targets; connections made from now on use them. Returns false
     * (and changes nothing) when {@code owner} has no forward on that port.
     */
    public boolean retarget(String owner, int hostPort, Targets targets) {
        Open o = open.get(hostPort);
        if (o == null || !o.owner().equals(owner)) {
            return false;
        }
        if (!o.targets().getAndSet(targets).equals(targets)) {
            LOG.info("host port {} now forwards to {} for {}", hostPort, targets, owner);
        }
        return true;
    }

    /** Ends every forward of an owner and its open connections; idempotent. */
    public synchronized void close(String owner) {
        open.values().stream().filter(o -> o.owner().equals(owner)).map(Open::hostPort)
                .toList().forEach(this::closePort);
    }

    /** Ends the forward of an owner on one port and its open connections; idempotent. */
    public synchronized void close(String owner, int hostPort) {
        Open o = open.get(hostPort);
        if (o != null && o.owner().equals(owner)) {
            closePort(hostPort);
            LOG.info("host port {} of {} closed", hostPort, owner);
        }
    }

    /** The forwards now open. */
    public List<Forward> forwards() {
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
            Thread.ofVirtual().name("forward-" + o.hostPort() + "-conn").start(() -> relay(o, client));
        }
    }

    private static void relay(Open o, Socket client) {
        List<Target> order = o.targets().get().order(o.next().getAndIncrement());
        try (client) {
            Optional<Socket> guest = connect(o, order);
            if (guest.isEmpty()) {
                return;
            }
            try (Socket g = guest.get()) {
                o.connections().add(g);
                Thread back = Thread.ofVirtual().start(() -> pipe(g, client));
                pipe(client, g);
                back.join();
            } finally {
                o.connections().remove(guest.get());
            }
        } catch (IOException e) {
            LOG.debug("forward {}: {}", o.hostPort(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            o.connections().remove(client);
        }
    }

    /** The first of at most {@link #MAX_TRIES} targets that accepts a connection; empty when none did. */
    private static Optional<Socket> connect(Open o, List<Target> order) {
        for (Target t : order.subList(0, Math.min(MAX_TRIES, order.size()))) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(t.ip(), t.port()), (int) CONNECT_TIMEOUT.toMillis());
                return Optional.of(s);
            } catch (IOException e) {
                closeQuietly(s);
                LOG.debug("forward {}: {} did not accept: {}", o.hostPort(), t, e.getMessage());
            }
        }
        if (order.isEmpty()) {
            LOG.debug("forward {}: no target; connection closed", o.hostPort());
        } else {
            LOG.warn("forward {}: none of {} accepted a connection", o.hostPort(),
                    order.subList(0, Math.min(MAX_TRIES, order.size())));
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
