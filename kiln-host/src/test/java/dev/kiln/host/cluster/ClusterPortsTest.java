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
import dev.kiln.host.LoopbackSockets;
import dev.kiln.host.PortForwarder;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1").withPorts(List.of(
                new ContainerPort(containerPort, Optional.of(hostPort), ContainerPort.TCP))))).withNodeName(node);
        return Pod.of(ObjectMeta.named(name), spec).withStatus(PodStatus.EMPTY.withPhase(phase));
    }

    @Test
    void aPortFollowsItsPodsLocalOnesFirstAndClosesWhenNoneIsLeft() throws IOException {
        int local = tagging("local");
        int remote = tagging("remote");
        int hostPort = LoopbackSockets.freePort();
        Pod here = pod("web-a", "n1", PodPhase.RUNNING, local, hostPort);
        Pod there = pod("web-b", "n2", PodPhase.RUNNING, remote, hostPort);

        ports.passed(NODES, List.of(there));
        assertThat(ports.open()).containsExactly(hostPort);
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
        assertThat(ports.open()).as("the other port is not held back").containsExactly(other);
        assertThat(LoopbackSockets.roundTrip(other, "x")).isEqualTo("podx");
        assertThat(warnings).singleElement().asString().startsWith("web-a HostPortInUse: host h1 cannot forward host port "
                + hostPort).contains("already in use by another program");

        taken.close();
        ports.passed(NODES, pods);
        assertThat(ports.open()).containsExactly(Math.min(hostPort, other), Math.max(hostPort, other));
        assertThat(LoopbackSockets.roundTrip(hostPort, "y")).isEqualTo("pody");
    }

    @Test
    void aUdpHostPortIsReportedOnceAndClosingEndsEveryClusterPortButNoContainers() throws IOException {
        int server = tagging("pod");
        int containers = LoopbackSockets.freePort();
        forwarder.open(List.of(new PortForwarder.Forward("web", containers, "127.0.0.1", server)));
        int hostPort = LoopbackSockets.freePort();
        Pod udp = Pod.of(ObjectMeta.named("dns"), PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1")
                .withPorts(List.of(new ContainerPort(53, Optional.of(5353), "UDP"),
                        new ContainerPort(server, Optional.of(hostPort), ContainerPort.TCP))))).withNodeName("n1"))
                .withStatus(PodStatus.EMPTY.withPhase(PodPhase.RUNNING));

        ports.passed(NODES, List.of(udp));
        ports.passed(NODES, List.of(udp));
        assertThat(warnings).singleElement().asString().startsWith("dns HostPortNotForwarded").contains("UDP");
        assertThat(ports.open()).containsExactly(hostPort);

        ports.close();
        ports.passed(NODES, List.of(udp)); // a pass after the close opens nothing
        assertThat(ports.open()).isEmpty();
        assertThatThrownBy(() -> LoopbackSockets.roundTrip(hostPort, "x")).isInstanceOf(ConnectException.class);
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
