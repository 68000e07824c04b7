package dev.kiln.host;

import static dev.kiln.host.LoopbackSockets.udpClient;
import static dev.kiln.host.LoopbackSockets.udpRoundTrip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.Channel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** UDP forwards on real sockets on loopback: {@link UdpBackend}s stand in for the pods. */
class UdpForwardTest {
    private static final Duration WAIT = Duration.ofSeconds(2);
    /** Short idle times, so that sessions end within a test; the others' sessions must not end under a busy CPU. */
    private static final UdpRelay.Limits SHORT = new UdpRelay.Limits(Duration.ofMillis(300), Duration.ofMillis(600),
            3);
    private PortForwarder forwarder = new PortForwarder(InetAddress.getLoopbackAddress());

    @AfterEach
    void stop() {
        forwarder.close();
    }

    private void limits(UdpRelay.Limits limits) {
        forwarder = new PortForwarder(InetAddress.getLoopbackAddress(), limits);
    }

    private int open(String owner, PortForwarder.Targets targets) {
        int port = LoopbackSockets.freeUdpPort();
        forwarder.open(List.of(new PortForwarder.Forward(owner, PortForwarder.Protocol.UDP, port, targets)));
        return port;
    }

    private static PortForwarder.Target target(UdpBackend b) {
        return new PortForwarder.Target("127.0.0.1", b.port());
    }

    private UdpRelay relay(int port) {
        return (UdpRelay) forwarder.relay(PortForwarder.Protocol.UDP, port).orElseThrow();
    }

    @Test
    void datagramsReachTheBackendAndRepliesComeBackUpToTheLargestSize() throws IOException {
        try (UdpBackend echo = UdpBackend.echo(); DatagramSocket client = udpClient(WAIT)) {
            int port = open("c1", PortForwarder.Targets.of("127.0.0.1", echo.port()));
            assertThat(udpRoundTrip(client, port, "hello")).isEqualTo("hello");

            byte[] largest = new byte[65_507]; // the most a UDP datagram over IPv4 carries
            new Random(7).nextBytes(largest);
            assertThat(Arrays.equals(udpRoundTrip(client, port, largest), largest)).isTrue();

            assertThat(forwarder.forwards()).singleElement().satisfies(f -> {
                assertThat(f.protocol()).isEqualTo(PortForwarder.Protocol.UDP);
                assertThat(f.port()).isEqualTo(port + "/udp");
            });
            assertThat(relay(port).sessionCount()).isEqualTo(1);
        }
    }

    @Test
    void anEmptyDatagramIsDroppedAndEmptyRepliesComeBack() throws IOException {
        try (UdpBackend empty = UdpBackend.answering(new byte[0]); DatagramSocket client = udpClient(WAIT);
             DatagramSocket quick = udpClient(Duration.ofMillis(300))) {
            int port = open("c1", PortForwarder.Targets.of("127.0.0.1", empty.port()));
            // the JDK cannot send an empty datagram on a session's connected socket
            assertThatThrownBy(() -> udpRoundTrip(quick, port, "")).isInstanceOf(SocketTimeoutException.class);
            assertThat(empty.senders()).isEmpty();
            assertThat(udpRoundTrip(client, port, "ping")).isEmpty();
        }
    }

    @Test
    void eachClientHasASessionOfItsOwnAndGetsItsOwnReplies() throws IOException {
        try (UdpBackend a = UdpBackend.tagging("A"); DatagramSocket c1 = udpClient(WAIT);
             DatagramSocket c2 = udpClient(WAIT)) {
            int port = open("c1", new PortForwarder.Targets(List.of(target(a)), List.of()));
            assertThat(udpRoundTrip(c1, port, "1")).isEqualTo("A1");
            assertThat(udpRoundTrip(c2, port, "2")).isEqualTo("A2");
            assertThat(udpRoundTrip(c1, port, "3")).isEqualTo("A3");
            assertThat(udpRoundTrip(c2, port, "4")).isEqualTo("A4");

            // the backend saw two clients: each session's own socket, the same one for all of a client's datagrams
            List<java.net.SocketAddress> senders = a.senders();
            assertThat(senders).hasSize(4);
            assertThat(senders.get(0)).isEqualTo(senders.get(2)).isNotEqualTo(senders.get(1));
            assertThat(senders.get(1)).isEqualTo(senders.get(3));
            assertThat(relay(port).sessionCount()).isEqualTo(2);
        }
    }

    @Test
    void sessionsTakeTurnsOverTheBackendsAndKeepTheirsWhenTheTargetsChange() throws IOException {
        try (UdpBackend a = UdpBackend.tagging("A"); UdpBackend b = UdpBackend.tagging("B");
             UdpBackend c = UdpBackend.tagging("C"); DatagramSocket c1 = udpClient(WAIT);
             DatagramSocket c2 = udpClient(WAIT); DatagramSocket c3 = udpClient(WAIT)) {
            int port = open("cluster", new PortForwarder.Targets(List.of(), List.of(target(a), target(b))));
            assertThat(List.of(udpRoundTrip(c1, port, "1"), udpRoundTrip(c2, port, "2"), udpRoundTrip(c1, port, "3"),
                    udpRoundTrip(c2, port, "4"))).as("a turn per session, not per datagram")
                    .containsExactly("A1", "B2", "A3", "B4");

            // a local target appears: new sessions go there, sessions already made keep their backend
            assertThat(forwarder.retarget("cluster", PortForwarder.Protocol.UDP, port,
                    new PortForwarder.Targets(List.of(target(c)), List.of(target(a))))).isTrue();
            assertThat(List.of(udpRoundTrip(c3, port, "5"), udpRoundTrip(c1, port, "6"), udpRoundTrip(c2, port, "7")))
                    .containsExactly("C5", "A6", "B7");
            assertThat(forwarder.forwards()).singleElement()
                    .satisfies(f -> assertThat(f.targets().preferred()).containsExactly(target(c)));
            // only the owner retargets; TCP on the same number is another forward
            assertThat(forwarder.retarget("c9", PortForwarder.Protocol.UDP, port,
                    PortForwarder.Targets.of("127.0.0.1", 1))).isFalse();
            assertThat(forwarder.retarget("cluster", PortForwarder.Protocol.TCP, port,
                    PortForwarder.Targets.of("127.0.0.1", 1))).isFalse();
        }
    }

    @Test
    void aTargetThatNothingListensOnIsSkippedForTheNext() throws IOException {
        try (UdpBackend b = UdpBackend.tagging("B"); DatagramSocket client = udpClient(WAIT)) {
            int dead = LoopbackSockets.freeUdpPort();
            int port = open("cluster", new PortForwarder.Targets(List.of(new PortForwarder.Target("127.0.0.1", dead)),
                    List.of(target(b))));
            // the ICMP port unreachable moves the session on, and the datagram goes again
            assertThat(udpRoundTrip(client, port, "x")).isEqualTo("Bx");
            assertThat(udpRoundTrip(client, port, "y")).isEqualTo("By");
            assertThat(b.senders()).hasSize(2);
            assertThat(b.senders().get(0)).as("one session").isEqualTo(b.senders().get(1));
        }
    }

    @Test
    void idleSessionsEndAndANewDatagramStartsAnother() throws IOException {
        limits(SHORT);
        try (UdpBackend a = UdpBackend.tagging("A"); DatagramSocket client = udpClient(WAIT)) {
            int port = open("c1", PortForwarder.Targets.of("127.0.0.1", a.port()));
            assertThat(udpRoundTrip(client, port, "1")).isEqualTo("A1");
            List<Channel> before = relay(port).channels();
            assertThat(relay(port).sessionCount()).isEqualTo(1);

            await().atMost(Duration.ofSeconds(5)).until(() -> relay(port).sessionCount() == 0);
            assertThat(before.getLast().isOpen()).as("the session's socket").isFalse();

            assertThat(udpRoundTrip(client, port, "2")).isEqualTo("A2");
            assertThat(a.senders().get(1)).as("a new session, a new socket").isNotEqualTo(a.senders().get(0));
        }
    }

    @Test
    void aNewClientOverTheCapIsDroppedUntilASessionEnds() throws IOException {
        // three sessions at most; idle long enough that none ends before the fourth client tries, on a busy machine
        limits(new UdpRelay.Limits(Duration.ofMillis(1500), Duration.ofMillis(1500), 3));
        try (UdpBackend a = UdpBackend.tagging("A"); DatagramSocket c1 = udpClient(WAIT);
             DatagramSocket c2 = udpClient(WAIT); DatagramSocket c3 = udpClient(WAIT);
             DatagramSocket c4 = udpClient(Duration.ofMillis(200))) {
            int port = open("c1", PortForwarder.Targets.of("127.0.0.1", a.port()));
            assertThat(List.of(udpRoundTrip(c1, port, "1"), udpRoundTrip(c2, port, "2"), udpRoundTrip(c3, port, "3")))
                    .containsExactly("A1", "A2", "A3");
            assertThatThrownBy(() -> udpRoundTrip(c4, port, "4")).isInstanceOf(SocketTimeoutException.class);
            assertThat(udpRoundTrip(c1, port, "5")).as("the clients with a session go on").isEqualTo("A5");
            assertThat(relay(port).sessionCount()).isEqualTo(3);

            await().atMost(Duration.ofSeconds(5)).until(() -> relay(port).sessionCount() == 0);
            c4.setSoTimeout((int) WAIT.toMillis());
            assertThat(udpRoundTrip(c4, port, "6")).isEqualTo("A6");
        }
    }

    @Test
    void closingThePortEndsItsSessionsThreadAndSocketsAndFreesIt() throws IOException {
        try (UdpBackend a = UdpBackend.tagging("A"); DatagramSocket c1 = udpClient(WAIT);
             DatagramSocket c2 = udpClient(WAIT)) {
            int port = open("c1", PortForwarder.Targets.of("127.0.0.1", a.port()));
            udpRoundTrip(c1, port, "1");
            udpRoundTrip(c2, port, "2");
            UdpRelay relay = relay(port);
            List<Channel> channels = relay.channels();
            assertThat(channels).hasSize(3).allMatch(Channel::isOpen); // the port's socket, two sessions' sockets

            forwarder.close("c9"); // not its owner
            assertThat(forwarder.forwards()).hasSize(1);
            forwarder.close("c1");
            assertThat(forwarder.forwards()).isEmpty();
            assertThat(relay.thread().isAlive()).isFalse();
            assertThat(channels).noneMatch(Channel::isOpen);
            assertThat(relay.selectorOpen()).isFalse();
            assertThat(relay.sessionCount()).isZero();
            try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    port))) {
                assertThat(again.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aPortTakenByAnotherSocketIsInUseAndTcpOnTheSameNumberIsAnotherForward() throws IOException {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> forwarder.open(List.of(new PortForwarder.Forward("c1",
                    PortForwarder.Protocol.UDP, port, PortForwarder.Targets.of("127.0.0.1", 9)))))
                    .isInstanceOf(HostException.class)
                    .hasMessageContaining("host port " + port + "/udp is already in use by another program")
                    .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.PORT_IN_USE);
            assertThat(forwarder.forwards()).isEmpty();
        }
        // one number, both protocols: two forwards, when the TCP port is free too
        int port = LoopbackSockets.freePortForBoth();
        forwarder.open(List.of(new PortForwarder.Forward("c1", PortForwarder.Protocol.UDP, port,
                        PortForwarder.Targets.of("127.0.0.1", 9)),
                new PortForwarder.Forward("c1", port, PortForwarder.Targets.of("127.0.0.1", 9))));
        assertThat(forwarder.forwards()).extracting(PortForwarder.Forward::port)
                .containsExactlyInAnyOrder(port + "/udp", port + "/tcp");
        assertThatThrownBy(() -> forwarder.open(List.of(new PortForwarder.Forward("c2", PortForwarder.Protocol.UDP,
                port, PortForwarder.Targets.of("127.0.0.1", 9)))))
                .hasMessageContaining("host port " + port + "/udp is already in use by kiln's forward for c1");
    }

    @Test
    void aSessionBecomesAStreamOnceRepliedToAndActiveForTwoSeconds() {
        UdpRelay.Limits limits = UdpRelay.Limits.DEFAULT;
        assertThat(limits.idleFor(false, Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(30));
        assertThat(limits.idleFor(true, Duration.ofMillis(1999))).isEqualTo(Duration.ofSeconds(30));
        assertThat(limits.idleFor(true, Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(120));
        assertThat(limits.sweepEvery()).isEqualTo(Duration.ofSeconds(1));
        assertThat(SHORT.sweepEvery()).isEqualTo(Duration.ofMillis(75));
    }
}
