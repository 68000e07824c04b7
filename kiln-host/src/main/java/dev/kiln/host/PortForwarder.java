package dev.kiln.host;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host port forwards ({@code -p HOSTPORT:PORT}, and the cluster's host ports): the daemon listens on the host port
 * and relays what comes in to the guest's address ({@link TcpRelay}: one virtual thread per direction of each
 * connection; {@link UdpRelay}: a session per client address, one virtual thread for the port). A proxy in the daemon, rather than an nftables DNAT, because it also serves {@code localhost} on the
 * host (DNAT of locally generated traffic to 127.0.0.1 needs route_localnet and a source NAT), and because a taken
 * port is found the honest way: the bind fails. A forward is for one protocol: TCP 53 and UDP 53 are two. Forwards
 * belong to an owner (a container id, or {@code cluster:host-ports} for the cluster's host ports) and end with it,
 * or with the daemon.
 *
 * <p>A forward's target may be a list ({@link Targets}): each connection (or UDP session) goes to the next one in
 * turn among the preferred targets (those on this host), or among the others when there is none, and on to the rest
 * when a connect fails (for UDP: when the target answers with ICMP port unreachable). {@link #retarget} replaces the
 * list in place; connections and sessions already made keep their target.
 */
public final class PortForwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwarder.class);
    /** How many targets one connection tries before it gives up. */
    static final int MAX_TRIES = 3;

    /** The protocol of a forward; written in lower case, as in {@code 53/udp}. */
    public enum Protocol {
        TCP, UDP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

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

    /** One forward: connections to {@code hostPort} ({@code protocol}) on the host go to its {@code targets}. */
    public record Forward(String owner, Protocol protocol, int hostPort, Targets targets) {
        public Forward {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(targets, "targets");
            if (hostPort < 1 || hostPort > 65535) {
                throw new HostException(HostError.INVALID_SPEC, "host port " + hostPort + " is out of range",
                        "ports are 1..65535");
            }
        }

        /** A TCP forward. */
        public Forward(String owner, int hostPort, Targets targets) {
            this(owner, Protocol.TCP, hostPort, targets);
        }

        /** A TCP forward to one guest address and port. */
        public Forward(String owner, int hostPort, String guestIp, int guestPort) {
            this(owner, hostPort, Targets.of(guestIp, guestPort));
        }

        /** The host port and protocol, e.g. {@code 8080/tcp}. */
        public String port() {
            return hostPort + "/" + protocol;
        }
    }

    /** One open host port: its socket(s) and the threads that serve it. */
    sealed interface Relay permits TcpRelay, UdpRelay {
        /** Ends the relay and everything it holds; when it returns, the port is free. */
        void close();
    }

    /** The candidates for the next connection or session: at most {@link #MAX_TRIES} targets, in turn. */
    @FunctionalInterface
    interface Turns {
        List<Target> next();
    }

    private record Key(Protocol protocol, int port) {
        @Override
        public String toString() {
            return port + "/" + protocol;
        }
    }

    private record Open(String owner, Key key, AtomicReference<Targets> targets, Relay relay) {
        Forward forward() {
            return new Forward(owner, key.protocol(), key.port(), targets.get());
        }
    }

    private final InetAddress bindAddress;
    private final UdpRelay.Limits udpLimits;
    private final Map<Key, Open> open = new ConcurrentHashMap<>();

    /** Forwards listening on all host addresses (the usual meaning of {@code -p}). */
    PortForwarder() {
        this(new InetSocketAddress(0).getAddress());
    }

    public PortForwarder(InetAddress bindAddress) {
        this(bindAddress, UdpRelay.Limits.DEFAULT);
    }

    /** With other limits for UDP sessions (tests: a short idle time). */
    PortForwarder(InetAddress bindAddress, UdpRelay.Limits udpLimits) {
        this.bindAddress = bindAddress;
        this.udpLimits = udpLimits;
    }

    /**
     * Starts all forwards of an owner, or none: a port that is taken undoes the ones opened before it.
     *
     * @throws HostException PORT_IN_USE naming the port
     */
    public synchronized void open(List<Forward> forwards) {
        var opened = new ArrayList<Key>();
        try {
            for (Forward f : forwards) {
                Key key = new Key(f.protocol(), f.hostPort());
                if (open.containsKey(key)) {
                    throw portInUse(key, "by kiln's forward for " + open.get(key).owner());
                }
                AtomicReference<Targets> targets = new AtomicReference<>(f.targets());
                AtomicLong next = new AtomicLong();
                Turns turns = () -> {
                    List<Target> order = targets.get().order(next.getAndIncrement());
                    return order.subList(0, Math.min(MAX_TRIES, order.size()));
                };
                Relay relay;
                try {
                    relay = relay(key, turns);
                } catch (BindException e) {
                    throw portInUse(key, "by another program (" + e.getMessage() + ")");
                }
                open.put(key, new Open(f.owner(), key, targets, relay));
                opened.add(key);
                LOG.info("forwarding host port {} to {} for {}", key, f.targets(), f.owner());
            }
        } catch (IOException e) {
            opened.forEach(this::closePort);
            throw new HostException(HostError.HOST_ERROR, "cannot open a host port: " + e.getMessage(), "check the host", e);
        } catch (RuntimeException e) {
            opened.forEach(this::closePort);
            throw e;
        }
    }

    private Relay relay(Key key, Turns turns) throws IOException {
        InetSocketAddress at = new InetSocketAddress(bindAddress, key.port());
        return switch (key.protocol()) {
            case TCP -> TcpRelay.open(key.toString(), at, turns);
            case UDP -> UdpRelay.open(key.toString(), at, turns, udpLimits);
        };
    }

    /** The relay of an open port, for tests in this package. */
    Optional<Relay> relay(Protocol protocol, int hostPort) {
        return Optional.ofNullable(open.get(new Key(protocol, hostPort))).map(Open::relay);
    }

    /**
     * Gives an open forward of {@code owner} new targets; connections and UDP sessions made from now on use them.
     * Returns false (and changes nothing) when {@code owner} has no forward on that port.
     */
    public boolean retarget(String owner, Protocol protocol, int hostPort, Targets targets) {
        Key key = new Key(protocol, hostPort);
        Open o = open.get(key);
        if (o == null || !o.owner().equals(owner)) {
            return false;
        }
        if (!o.targets().getAndSet(targets).equals(targets)) {
            LOG.info("host port {} now forwards to {} for {}", key, targets, owner);
        }
        return true;
    }

    /** Ends every forward of an owner and its open connections and sessions; idempotent. */
    public synchronized void close(String owner) {
        open.values().stream().filter(o -> o.owner().equals(owner)).map(Open::key)
                .toList().forEach(this::closePort);
    }

    /** Ends the forward of an owner on one port and its open connections and sessions; idempotent. */
    public synchronized void close(String owner, Protocol protocol, int hostPort) {
        Key key = new Key(protocol, hostPort);
        Open o = open.get(key);
        if (o != null && o.owner().equals(owner)) {
            closePort(key);
            LOG.info("host port {} of {} closed", key, owner);
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

    private void closePort(Key key) {
        Open o = open.remove(key);
        if (o != null) {
            o.relay().close();
        }
    }

    private static HostException portInUse(Key key, String byWhom) {
        return new HostException(HostError.PORT_IN_USE, "host port " + key + " is already in use " + byWhom,
                "choose another host port in -p HOSTPORT:PORT, or stop what uses it");
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }
}
