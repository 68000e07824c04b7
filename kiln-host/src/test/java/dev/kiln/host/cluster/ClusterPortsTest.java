package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cluster.model.ContainerPort;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodStatus;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.node.HostPorts;
import dev.kiln.host.LoopbackSockets;
import dev.kiln.host.PortForwarder;
import dev.kiln.host.UdpBackend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster's host ports on real sockets on loopback: tagging servers stand in for the pods, a node's address is
 * 127.0.0.1 and each pod's container port is its server's port. The passes are stepped by hand.
 */
class ClusterPortsTest {
    private static final Duration WAIT = Duration.ofSeconds(2);
    private final PortForwarder forwarder = new PortForwarder(InetAddress.getLoopbackAddress());
    private final List<String> warnings = new ArrayList<>();
    private final ClusterPorts ports = new ClusterPorts(forwarder, "h1",
            (pod, reason, message) -> warnings.add(pod.name() + " " + reason + ": " + message));
    private final List<ServerSocket> servers = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        ports.close();
        forwarder.close();
        for (ServerSocket s : servers) {
            s.close();
        }
    }

    private static final List<Node> NODES = List.of(node("n1", "h1"), node("n2", "h2"));

    private static Node node(String name, String host) {
        return Node.of(ObjectMeta.named(name), new NodeSpec("workers", Optional.of(host), NodeProfile.of(1, 512L << 20),
                "auto", false)).withStatus(new NodeStatus(NodePhase.READY, Optional.of("kn-" + name),
                Optional.of("127.0.0.1"), Optional.empty(), Resources.ZERO, List.of(), Optional.empty()));
    }

    private static Pod pod(String name, String node, PodPhase phase, int containerPort, int hostPort) {
        return pod(name, node, phase, new ContainerPort(containerPort, Optional.of(hostPort), ContainerPort.TCP));
    }

    private static Pod pod(String name, String node, PodPhase phase, ContainerPort... ports) {
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1").withPorts(List.of(ports))))
                .withNodeName(node);
        return Pod.of(ObjectMeta.named(name), spec).withStatus(PodStatus.EMPTY.withPhase(phase));
    }

    private static ContainerPort udp(int containerPort, int hostPort) {
        return new ContainerPort(containerPort, Optional.of(hostPort), "UDP");
    }

    private static ContainerPort tcp(int containerPort, int hostPort) {
        return new ContainerPort(containerPort, Optional.of(hostPort), ContainerPort.TCP);
    }

    @Test
    void aPortFollowsItsPodsLocalOnesFirstAndClosesWhenNoneIsLeft() throws IOException {
        int local = tagging("local");
        int remote = tagging("remote");
        int hostPort = LoopbackSockets.freePort();
        Pod here = pod("web-a", "n1", PodPhase.RUNNING, local, hostPort);
        Pod there = pod("web-b", "n2", PodPhase.RUNNING, remote, hostPort);

        ports.passed(NODES, List.of(there));
        assertThat(ports.open()).containsExactly(HostPorts.Port.tcp(hostPort));
        assertThat(LoopbackSockets.roundTrip(hostPort, "1")).isEqualTo("remote1");

        // a pod on this host: it takes the connections, in place (the port never closed)
        ports.passed(NODES, List.of(here, there));
        assertThat(List.of(LoopbackSockets.roundTrip(hostPort, "2"), LoopbackSockets.roundTrip(hostPort, "3"))).containsExactly("local2", "local3");

        // the local pod stops running: back to the other host's
        ports.passed(NODES, List.of(here.withStatus(PodStatus.EMPTY.withPhase(PodPhase.FAILED)), there));
        assertThat(LoopbackSockets.roundTrip(hostPort, "4")).isEqualTo("remote4");

        ports.passed(NODES, List.of());
        assertThat(ports.open()).isEmpty();
        assertThatThrownBy(() -> LoopbackSockets.roundTrip(hostPort, "x")).isInstanceOf(ConnectException.class);
        assertThat(warnings).isEmpty();
    }

    @Test
    void aPortAnotherProgramHoldsIsWarnedAboutOnceAndOpensWhenItIsFree() throws IOException {
        int server = tagging("pod");
        int other = LoopbackSockets.freePort();
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int hostPort = taken.getLocalPort();
        List<Pod> pods = List.of(pod("web-a", "n2", PodPhase.RUNNING, server, hostPort),
                pod("api-a", "n2", PodPhase.RUNNING, server, other));

        ports.passed(NODES, pods);
        ports.passed(NODES, pods);
        assertThat(ports.open()).as("the other port is not held back").containsExactly(HostPorts.Port.tcp(other));
        assertThat(LoopbackSockets.roundTrip(other, "x")).isEqualTo("podx");
        assertThat(warnings).singleElement().asString().startsWith("web-a HostPortInUse: host h1 cannot forward host port "
                + hostPort + "/tcp").contains("already in use by another program");

        taken.close();
        ports.passed(NODES, pods);
        assertThat(ports.open()).containsExactly(HostPorts.Port.tcp(Math.min(hostPort, other)),
                HostPorts.Port.tcp(Math.max(hostPort, other)));
        assertThat(LoopbackSockets.roundTrip(hostPort, "y")).isEqualTo("pody");
    }

    @Test
    void udpHostPortsFollowTheirPodsBesideTcpOnTheSameNumber() throws IOException {
        try (UdpBackend local = UdpBackend.tagging("local"); UdpBackend remote = UdpBackend.tagging("remote");
             DatagramSocket c1 = LoopbackSockets.udpClient(WAIT); DatagramSocket c2 = LoopbackSockets.udpClient(WAIT);
             DatagramSocket c3 = LoopbackSockets.udpClient(WAIT)) {
            int tcpServer = tagging("tcp");
            int hostPort = LoopbackSockets.freePortForBoth();
            Pod here = pod("dns-a", "n1", PodPhase.RUNNING, udp(local.port(), hostPort), tcp(tcpServer, hostPort));
            Pod there = pod("dns-b", "n2", PodPhase.RUNNING, udp(remote.port(), hostPort));

            ports.passed(NODES, List.of(there));
            assertThat(ports.open()).containsExactly(HostPorts.Port.udp(hostPort));
            assertThat(LoopbackSockets.udpRoundTrip(c1, hostPort, "1")).isEqualTo("remote1");

            // a pod on this host: new sessions go to it, the open one keeps its pod; TCP on the same number opens
            ports.passed(NODES, List.of(here, there));
            assertThat(ports.open()).extracting(HostPorts.Port::toString).containsExactly(hostPort + "/tcp",
                    hostPort + "/udp");
            assertThat(List.of(LoopbackSockets.udpRoundTrip(c2, hostPort, "2"),
                    LoopbackSockets.udpRoundTrip(c1, hostPort, "3"))).containsExactly("local2", "remote3");
            assertThat(LoopbackSockets.roundTrip(hostPort, "4")).isEqualTo("tcp4");

            // the local pod stops declaring TCP and UDP: its TCP port closes, UDP goes back to the other host's
            ports.passed(NODES, List.of(here.withStatus(PodStatus.EMPTY.withPhase(PodPhase.FAILED)), there));
            assertThat(ports.open()).containsExactly(HostPorts.Port.udp(hostPort));
            assertThat(LoopbackSockets.udpRoundTrip(c3, hostPort, "5")).isEqualTo("remote5");
            assertThatThrownBy(() -> LoopbackSockets.roundTrip(hostPort, "x")).isInstanceOf(ConnectException.class);

            ports.passed(NODES, List.of());
            assertThat(ports.open()).isEmpty();
            try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    hostPort))) {
                assertThat(again.getLocalPort()).as("the UDP port is free").isEqualTo(hostPort);
            }
            assertThat(warnings).isEmpty();
        }
    }

    @Test
    void aUdpPortAnotherProgramHoldsIsWarnedAboutOnce() throws IOException {
        try (UdpBackend pod = UdpBackend.tagging("pod");
             DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int hostPort = taken.getLocalPort();
            List<Pod> pods = List.of(pod("dns-a", "n2", PodPhase.RUNNING, udp(pod.port(), hostPort)));
            ports.passed(NODES, pods);
            ports.passed(NODES, pods);
            assertThat(ports.open()).isEmpty();
            assertThat(warnings).singleElement().asString().startsWith("dns-a HostPortInUse: host h1 cannot forward"
                    + " host port " + hostPort + "/udp").contains("already in use by another program");

            taken.close();
            ports.passed(NODES, pods);
            assertThat(ports.open()).containsExactly(HostPorts.Port.udp(hostPort));
            try (DatagramSocket client = LoopbackSockets.udpClient(WAIT)) {
                assertThat(LoopbackSockets.udpRoundTrip(client, hostPort, "y")).isEqualTo("pody");
            }
        }
    }

    @Test
    void aPortDeclaredTwiceIsReportedOnceAndClosingEndsEveryClusterPortButNoContainers() throws IOException {
        int server = tagging("pod");
        int containers = LoopbackSockets.freePort();
        forwarder.open(List.of(new PortForwarder.Forward("web", containers, "127.0.0.1", server)));
        int hostPort = LoopbackSockets.freePort();
        int udpPort = LoopbackSockets.freeUdpPort();
        Pod twice = pod("twice", "n1", PodPhase.RUNNING, tcp(server, hostPort), tcp(server + 1, hostPort),
                udp(53, udpPort));

        ports.passed(NODES, List.of(twice));
        ports.passed(NODES, List.of(twice));
        assertThat(warnings).singleElement().asString().startsWith("twice HostPortNotForwarded")
                .contains(hostPort + "/tcp is declared twice");
        assertThat(ports.open()).containsExactlyInAnyOrder(HostPorts.Port.tcp(hostPort), HostPorts.Port.udp(udpPort));

        ports.close();
        ports.passed(NODES, List.of(twice)); // a pass after the close opens nothing
        assertThat(ports.open()).isEmpty();
        assertThatThrownBy(() -> LoopbackSockets.roundTrip(hostPort, "x")).isInstanceOf(ConnectException.class);
        assertThat(forwarder.forwards()).extracting(PortForwarder.Forward::owner).containsExactly("web");
        assertThat(LoopbackSockets.roundTrip(containers, "c")).as("a container's forward stays").isEqualTo("podc");
    }

    /** A server on loopback that answers each connection with its tag and what it read; returns its port. */
    private int tagging(String tag) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        servers.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    byte[] in = s.getInputStream().readAllBytes();
                    s.getOutputStream().write((tag + new String(in, StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }
}
