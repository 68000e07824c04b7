package dev.kiln.cluster.node;

import dev.kiln.cluster.control.Res;
import dev.kiln.cluster.model.ContainerPort;
import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static dev.kiln.cluster.control.Res.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** Which host ports a host forwards to which pods: pure, from nodes and pods. */
class HostPortsTest {
    private static Node node(String name, String host, String address, NodePhase phase) {
        Node n = Res.node(name, "workers", Optional.of(host), phase, T0);
        NodeStatus s = n.status();
        return n.withStatus(new NodeStatus(s.phase(), s.vm(), Optional.of(address), s.lastHeartbeat(),
                s.allocatable(), s.conditions(), s.message()));
    }

    private static Pod pod(String name, String node, PodPhase phase, ContainerPort... ports) {
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1").withPorts(List.of(ports))))
                .withNodeName(node);
        return Pod.of(Res.meta(name), spec).withStatus(PodStatus.EMPTY.withPhase(phase));
    }

    private static ContainerPort tcp(int containerPort, int hostPort) {
        return new ContainerPort(containerPort, Optional.of(hostPort), ContainerPort.TCP);
    }

    private static ContainerPort udp(int containerPort, int hostPort) {
        return new ContainerPort(containerPort, Optional.of(hostPort), "UDP");
    }

    private static final List<Node> NODES = List.of(
            node("n1", "h1", "10.90.1.5", NodePhase.READY),
            node("n2", "h2", "10.90.2.5", NodePhase.READY),
            node("n3", "h3", "10.90.3.5", NodePhase.READY));

    @Test
    void everyHostForwardsAPortToThePodsThatDeclareItItsOwnFirst() {
        List<Pod> pods = List.of(pod("web-b", "n2", PodPhase.RUNNING, tcp(8080, 30080)),
                pod("web-a", "n1", PodPhase.RUNNING, tcp(8080, 30080)),
                pod("web-c", "n3", PodPhase.RUNNING, tcp(8080, 30080)),
                pod("plain", "n1", PodPhase.RUNNING, ContainerPort.tcp(9090)));

        HostPorts.Forward onH2 = HostPorts.plan("h2", NODES, pods).forwards().get(HostPorts.Port.tcp(30080));
        assertThat(onH2.local()).containsExactly(new HostPorts.Backend("web-b", "h2", "10.90.2.5", 8080));
        assertThat(onH2.remote()).extracting(HostPorts.Backend::pod).containsExactly("web-a", "web-c");
        assertThat(onH2.backends()).extracting(HostPorts.Backend::pod).containsExactly("web-b", "web-a", "web-c");

        // a host that runs none of them forwards the port all the same, to the pods elsewhere
        HostPorts.Plan onH4 = HostPorts.plan("h4", NODES, pods);
        assertThat(onH4.forwards()).containsOnlyKeys(HostPorts.Port.tcp(30080));
        assertThat(onH4.forwards().get(HostPorts.Port.tcp(30080)).local()).isEmpty();
        assertThat(onH4.forwards().get(HostPorts.Port.tcp(30080)).remote()).extracting(HostPorts.Backend::address)
                .containsExactly("10.90.1.5", "10.90.2.5", "10.90.3.5");
        assertThat(onH4.problems()).isEmpty();
    }

    @Test
    void onlyRunningPodsOnReadyNodesAreBackendsAndAPortWithoutAnyIsGone() {
        List<Node> nodes = List.of(node("n1", "h1", "10.90.1.5", NodePhase.READY),
                node("n2", "h2", "10.90.2.5", NodePhase.SUSPECT));
        List<Pod> pods = List.of(pod("a", "n1", PodPhase.PENDING, tcp(80, 30001)),
                pod("b", "n2", PodPhase.RUNNING, tcp(80, 30001)),
                pod("c", "gone-node", PodPhase.RUNNING, tcp(80, 30001)),
                pod("d", "n1", PodPhase.RUNNING, tcp(81, 30002)));

        HostPorts.Plan plan = HostPorts.plan("h1", nodes, pods);
        assertThat(plan.forwards()).containsOnlyKeys(HostPorts.Port.tcp(30002));
        assertThat(plan.forwards().get(HostPorts.Port.tcp(30002)).local()).containsExactly(new HostPorts.Backend("d", "h1", "10.90.1.5", 81));

        // the pod goes: so does its port
        assertThat(HostPorts.plan("h1", nodes, List.of(pods.get(0), pods.get(1))).forwards()).isEmpty();
    }

    @Test
    void thePodsAddressComesFirstThenItsNodes() {
        Pod withIp = pod("a", "n1", PodPhase.RUNNING, tcp(80, 30001));
        withIp = withIp.withStatus(new PodStatus(PodPhase.RUNNING, Optional.of("n1"), Optional.empty(),
                Optional.empty(), Optional.of("10.90.1.77"), Optional.empty(), List.of()));
        assertThat(HostPorts.plan("h1", NODES, List.of(withIp)).forwards().get(HostPorts.Port.tcp(30001)).local().getFirst().address())
                .isEqualTo("10.90.1.77");
    }

    @Test
    void udpIsForwardedAndOnePortNumberServesTcpAndUdpApart() {
        Pod dns = pod("dns-a", "n1", PodPhase.RUNNING, udp(53, 30053), tcp(5353, 30053));
        Pod there = pod("dns-b", "n2", PodPhase.RUNNING, udp(53, 30053));

        HostPorts.Plan plan = HostPorts.plan("h1", NODES, List.of(there, dns));
        assertThat(plan.forwards()).containsOnlyKeys(HostPorts.Port.tcp(30053), HostPorts.Port.udp(30053));
        assertThat(plan.forwards().keySet()).extracting(HostPorts.Port::toString).containsExactly("30053/tcp",
                "30053/udp");
        HostPorts.Forward udp = plan.forwards().get(HostPorts.Port.udp(30053));
        assertThat(udp.port()).isEqualTo(HostPorts.Port.udp(30053));
        assertThat(udp.local()).containsExactly(new HostPorts.Backend("dns-a", "h1", "10.90.1.5", 53));
        assertThat(udp.remote()).containsExactly(new HostPorts.Backend("dns-b", "h2", "10.90.2.5", 53));
        assertThat(plan.forwards().get(HostPorts.Port.tcp(30053)).backends()).extracting(HostPorts.Backend::port)
                .containsExactly(5353);
        assertThat(plan.problems()).isEmpty();
    }

    @Test
    void aSecondDeclarationOfOnePortAndProtocolInOnePodIsReportedAndLeftOut() {
        Pod twice = pod("twice", "n2", PodPhase.RUNNING, tcp(80, 30080), tcp(81, 30080));
        Pod twiceUdp = pod("twice-udp", "n3", PodPhase.RUNNING, udp(53, 30053), udp(54, 30053));
        Pod same = pod("same", "n1", PodPhase.RUNNING, udp(53, 30054), udp(53, 30054));
        Pod sctp = pod("sctp", "n1", PodPhase.RUNNING, new ContainerPort(9, Optional.of(30009), "SCTP"));

        HostPorts.Plan plan = HostPorts.plan("h1", NODES, List.of(twice, twiceUdp, same, sctp));
        assertThat(plan.forwards().keySet()).containsExactly(HostPorts.Port.udp(30053), HostPorts.Port.udp(30054),
                HostPorts.Port.tcp(30080));
        assertThat(plan.forwards().get(HostPorts.Port.tcp(30080)).backends()).extracting(HostPorts.Backend::port)
                .containsExactly(80);
        assertThat(plan.forwards().get(HostPorts.Port.udp(30053)).backends()).extracting(HostPorts.Backend::port)
                .containsExactly(53);
        // the same declaration twice is one forward, not a problem
        assertThat(plan.forwards().get(HostPorts.Port.udp(30054)).backends()).hasSize(1);
        assertThat(plan.problems()).extracting(HostPorts.Problem::pod, HostPorts.Problem::hostPort)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("twice", 30080),
                        org.assertj.core.groups.Tuple.tuple("twice-udp", 30053),
                        org.assertj.core.groups.Tuple.tuple("sctp", 30009));
        assertThat(plan.problems()).filteredOn(p -> p.pod().equals("twice")).singleElement()
                .extracting(HostPorts.Problem::reason).asString().contains("30080/tcp is declared twice")
                .contains("only 80 is forwarded");
        assertThat(plan.problems()).filteredOn(p -> p.pod().equals("twice-udp")).singleElement()
                .extracting(HostPorts.Problem::reason).asString().contains("30053/udp is declared twice")
                .contains("only 53 is forwarded");
        assertThat(plan.problems()).filteredOn(p -> p.pod().equals("sctp")).singleElement()
                .extracting(HostPorts.Problem::reason).asString().contains("SCTP").contains("TCP and UDP");
    }

    @Test
    void theSameViewGivesTheSamePlan() {
        List<Pod> pods = List.of(pod("x", "n3", PodPhase.RUNNING, tcp(80, 30001)),
                pod("y", "n1", PodPhase.RUNNING, tcp(80, 30001)));
        assertThat(HostPorts.plan("h2", NODES, pods)).isEqualTo(HostPorts.plan("h2", NODES, pods.reversed()));
    }
}
