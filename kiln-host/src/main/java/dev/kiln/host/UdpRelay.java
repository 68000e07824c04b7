package dev.kiln.host;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP host port of a {@link PortForwarder}. UDP has no connections, so the relay keeps sessions: the first
 * datagram from a client address (address and port) starts one, with a socket of its own connected to the target
 * the session got in turn. The client's datagrams go out on that socket, and what comes back on it goes to the client
 * from the host port. The target sees the session's socket as its client, as behind a NAT. A retarget changes the
 * targets of new sessions only.
 *
 * <p>One virtual thread serves the port and all its sessions through a selector, with one buffer that holds the
 * largest datagram (65,507 bytes of payload over IPv4, 65,527 over IPv6): a session costs a socket, not a thread
 * or a buffer.
 *
 * <p>Sessions end after the idle times of Linux conntrack, which is what a Kubernetes NodePort's UDP gets from
 * kube-proxy: 30 s without a datagram either way, or 120 s for a stream, a session that got a reply and was still
 * active {@value #STREAM_AFTER_SECONDS} s after it began ({@link Limits}). So a one-shot request (DNS asks from a new
 * source port every time) frees its socket within 30 s, while a stream with keepalives (WireGuard sends one every
 * 25 s) lives on. A port keeps at most {@link Limits#maxSessions()} sessions; a datagram from a new client beyond that
 * is dropped, and the first one dropped is logged (once, until the port has room again).
 *
 * <p>A target that nothing listens on says so with an ICMP port unreachable (and a gone address with host
 * unreachable), which only a connected socket reports: the session moves on to its next candidate (at most
 * {@link PortForwarder#MAX_TRIES} in all, as a TCP connection does), and the client's last datagram goes there again
 * while no reply has come. A session without a candidate left ends; the client's next datagram starts a new one. The
 * price of connected sockets: an empty datagram from a client is dropped, since the JDK cannot send one on a
 * connected socket (empty replies do reach the client).
 */
final class UdpRelay implements PortForwarder.Relay {
    private static final Logger LOG = LoggerFactory.getLogger(UdpRelay.class);
    /** Room for any UDP payload: at most 65,507 bytes over IPv4, 65,527 over IPv6 (jumbograms aside). */
    static final int MAX_DATAGRAM = 65_535;
    private static final int STREAM_AFTER_SECONDS = 2;
    /** Datagrams taken from one socket in a row, so a busy one does not starve the others. */
    private static final int BUDGET = 64;

    /**
     * How long sessions may stay quiet, and how many a port keeps. {@link #DEFAULT}: conntrack's 30 s and 120 s, and
     * 4,096 sessions (each one a file descriptor of the daemon, whose limit the VMs and their taps share).
     */
    record Limits(Duration idle, Duration streamIdle, int maxSessions) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(30), Duration.ofSeconds(120), 4096);

        Limits {
            if (idle.isNegative() || idle.isZero() || streamIdle.compareTo(idle) < 0 || maxSessions < 1) {
                throw new IllegalArgumentException("bad UDP session limits " + idle + ", " + streamIdle + ", "
                        + maxSessions);
            }
        }

        /** How long a session may stay quiet: longer once it is a stream (replied to, and active for 2 s). */
        Duration idleFor(boolean replied, Duration activeFor) {
            return replied && activeFor.compareTo(Duration.ofSeconds(STREAM_AFTER_SECONDS)) >= 0 ? streamIdle : idle;
        }

        /** How often the relay looks for idle sessions. */
        Duration sweepEvery() {
            Duration quarter = idle.dividedBy(4);
            return quarter.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1)
                    : quarter.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : quarter;
        }
    }

    private final String name;
    private final PortForwarder.Turns turns;
    private final Limits limits;
    private final DatagramChannel server;
    private final Selector selector;
    /** By client address; changed by the relay's thread only (concurrent so that others may look). */
    private final Map<SocketAddress, Session> sessions = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closing;
    /** The port is full and that was logged; only the relay's thread uses it. */
    private boolean full;

    private UdpRelay(String name, PortForwarder.Turns turns, Limits limits, DatagramChannel server,
                     Selector selector) {
        this.name = name;
        this.turns = turns;
        this.limits = limits;
        this.server = server;
        this.selector = selector;
        this.thread = Thread.ofVirtual().name("forward-" + name.replace('/', '-')).start(this::run);
    }

    /**
     * Binds {@code at}, {@code name} (e.g. {@code 53/udp}) naming the port in logs. Without SO_REUSEADDR, so a
     * port that another socket holds fails to bind whatever that socket's options are.
     *
     * @throws java.net.BindException when another socket holds the port
     */
    static UdpRelay open(String name, InetSocketAddress at, PortForwarder.Turns turns, Limits limits)
            throws IOException {
        DatagramChannel server = DatagramChannel.open();
        Selector selector = null;
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, false);
            server.bind(at);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_READ);
        } catch (IOException e) {
            if (selector != null) {
                PortForwarder.closeQuietly(selector);
            }
            PortForwarder.closeQuietly(server);
            throw e;
        }
        return new UdpRelay(name, turns, limits, server, selector);
    }

    @Override
    public void close() {
        closing = true;
        selector.wakeup();
        try {
            if (!thread.join(Duration.ofSeconds(5))) {
                LOG.warn("the relay of host port {} did not end within 5 s", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeAll(); // the thread did this already, unless it did not end
    }

    /** The sessions now open. */
    int sessionCount() {
        return sessions.size();
    }

    /** The relay's thread and sockets, for tests to see that a closed relay leaves none. */
    Thread thread() {
        return thread;
    }

    /** The port's socket and its sessions'. */
    List<Channel> channels() {
        List<Channel> all = new ArrayList<>(List.of(server));
        sessions.values().forEach(s -> all.add(s.channel));
        return all;
    }

    /** Whether the selector (an epoll descriptor) is open. */
    boolean selectorOpen() {
        return selector.isOpen();
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        long sweepEvery = limits.sweepEvery().toNanos();
        long nextSweep = System.nanoTime() + sweepEvery;
        try {
            while (!closing) {
                selector.select(limits.sweepEvery().toMillis());
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.attachment() instanceof Session s) {
                        fromTarget(s, buf);
                    } else {
                        fromClients(buf);
                    }
                }
                // Idle times are measured with the monotonic nanoTime: a wall clock that steps would end or keep
                // every session at once.
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    sweep(now);
                    nextSweep = now + sweepEvery;
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closing) {
                LOG.warn("forward {}: the relay stopped: {}", name, e.getMessage());
            }
        } finally {
            closeAll();
        }
    }

    private void fromClients(ByteBuffer buf) throws IOException {
        for (int i = 0; i < BUDGET; i++) {
            buf.clear();
            SocketAddress client = server.receive(buf);
            if (client == null) {
                return;
            }
            buf.flip();
            if (!buf.hasRemaining()) {
                // A connected DatagramChannel cannot send an empty datagram (the JDK skips a write of nothing, and
                // so does a connected DatagramSocket); sessions need connected sockets (see the class comment).
                LOG.debug("forward {}: an empty datagram from {} dropped", name, client);
                continue;
            }
            long now = System.nanoTime();
            Optional<Session> s = Optional.ofNullable(sessions.get(client)).or(() -> start(client, now));
            if (s.isPresent()) {
                s.get().lastActive = now;
                if (!s.get().replied) {
                    s.get().unanswered = ByteBuffer.allocate(buf.remaining()).put(buf.duplicate()).flip();
                }
                toTarget(s.get(), buf);
            }
        }
    }

    /** A new session for {@code client}, connected to the first of its candidates that can be; empty if none. */
    private Optional<Session> start(SocketAddress client, long now) {
        if (sessions.size() >= limits.maxSessions()) {
            if (!full) {
                full = true;
                LOG.warn("forward {}: {} sessions, the most a port keeps; datagrams from new clients (first {}) are"
                        + " dropped until one ends", name, limits.maxSessions(), client);
            }
            return Optional.empty();
        }
        Session s = new Session(client, turns.next(), now);
        if (!s.connectNext()) {
            if (s.candidates.isEmpty()) {
                LOG.debug("forward {}: no target; a datagram from {} dropped", name, client);
            } else {
                LOG.warn("forward {}: none of {} could be reached for {}", name, s.candidates, client);
            }
            return Optional.empty();
        }
        sessions.put(client, s);
        LOG.debug("forward {}: session of {} goes to {}", name, client, s.target());
        return Optional.of(s);
    }

    /** Sends a datagram to the session's target; on to its next candidate when the target failed. */
    private void toTarget(Session s, ByteBuffer datagram) {
        while (true) {
            try {
                s.channel.write(datagram.duplicate()); // a full socket buffer drops it, as UDP may
                return;
            } catch (IOException e) {
                // an error an earlier datagram caused: ICMP port or host unreachable
                if (!moveOn(s, e)) {
                    return;
                }
            }
        }
    }

    private void fromTarget(Session s, ByteBuffer buf) {
        for (int i = 0; i < BUDGET; i++) {
            buf.clear();
            try {
                if (s.channel.receive(buf) == null) {
                    return;
                }
            } catch (IOException e) {
                if (moveOn(s, e) && s.unanswered != null) {
                    toTarget(s, s.unanswered);
                }
                return;
            }
            buf.flip();
            s.replied = true;
            s.unanswered = null;
            s.lastActive = System.nanoTime();
            try {
                server.send(buf, s.client);
            } catch (IOException e) {
                LOG.debug("forward {}: a reply to {} dropped: {}", name, s.client, e.getMessage());
            }
        }
    }

    /**
     * The session's target failed ({@code why}: {@link java.net.PortUnreachableException} when nothing listens, "No
     * route to host" when its address is gone): on to its next candidate (true), or the session ends (false).
     */
    private boolean moveOn(Session s, IOException why) {
        PortForwarder.Target failed = s.target();
        PortForwarder.closeQuietly(s.channel);
        if (s.connectNext()) {
            LOG.debug("forward {}: {} failed ({}); the session of {} goes to {}", name, failed, why, s.client,
                    s.target());
            return true;
        }
        LOG.warn("forward {}: none of {} took datagrams from {} (last: {})", name, s.candidates, s.client, why);
        sessions.remove(s.client);
        return false;
    }

    private void sweep(long now) {
        for (Session s : sessions.values()) {
            Duration quiet = limits.idleFor(s.replied, Duration.ofNanos(s.lastActive - s.started));
            if (now - s.lastActive > quiet.toNanos()) {
                LOG.debug("forward {}: session of {} idle for {}; it ends", name, s.client, quiet);
                end(s);
            }
        }
        if (full && sessions.size() < limits.maxSessions()) {
            full = false;
        }
    }

    private void end(Session s) {
        sessions.remove(s.client);
        PortForwarder.closeQuietly(s.channel);
    }

    /** Closes the selector first: a channel registered with an open selector keeps its socket until deregistered. */
    private synchronized void closeAll() {
        PortForwarder.closeQuietly(selector);
        sessions.values().forEach(s -> PortForwarder.closeQuietly(s.channel));
        sessions.clear();
        PortForwarder.closeQuietly(server);
    }

    /** One client's session; its fields are the relay thread's. */
    private final class Session {
        final SocketAddress client;
        final List<PortForwarder.Target> candidates;
        final long started;
        /** Candidates tried so far; the channel is connected to the last one tried. */
        int tried;
        DatagramChannel channel;
        long lastActive;
        boolean replied;
        /** A copy of the client's last datagram while no reply has come, sent again after a move to another target. */
        ByteBuffer unanswered;

        Session(SocketAddress client, List<PortForwarder.Target> candidates, long now) {
            this.client = client;
            this.candidates = candidates;
            this.started = now;
            this.lastActive = now;
        }

        PortForwarder.Target target() {
            return candidates.get(tried - 1);
        }

        /** Connects a new socket to the next candidate that can be; false when none is left. */
        boolean connectNext() {
            while (tried < candidates.size()) {
                PortForwarder.Target t = candidates.get(tried++);
                DatagramChannel c = null;
                try {
                    InetSocketAddress address = new InetSocketAddress(t.ip(), t.port());
                    c = DatagramChannel.open();
                    c.configureBlocking(false);
                    c.connect(address);
                    c.register(selector, SelectionKey.OP_READ, this);
                    channel = c;
                    return true;
                } catch (IOException e) {
                    if (c != null) {
                        PortForwarder.closeQuietly(c);
                    }
                    LOG.debug("forward {}: cannot reach {}: {}", name, t, e.getMessage());
                }
            }
            return false;
        }
    }
}
