package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One fully populated resource of every kind, every optional field set, for round-trip tests. */
final class Samples {
    static final Instant T0 = Instant.parse("2025-03-01T10:15:30Z");
    static final Instant T1 = Instant.parse("2025-03-01T10:16:00.123456789Z");

    private Samples() {
    }

    static ObjectMeta meta(String name) {
        return ObjectMeta.named(name).withLabels(Map.of("app", "web", "kiln.dev/tier", "front"))
                .withAnnotations(Map.of("note", "hello: world", "empty", "")).withUid("3f1c-uid")
                .withResourceVersion("42").withCreationTimestamp(T0).withGeneration(3);
    }

    static Host host() {
        return Host.of(meta("host-a"), new HostSpec("10.0.0.5", Resources.of("8", "16Gi"), "10.90.1.0/24",
                        "10.90.0.0/16", 7071))
                .withStatus(new HostStatus(HostPhase.READY, Optional.of(T1), Resources.of("1500m", "2560Mi"),
                        Optional.of("all good"), Optional.of(7587868465421L)));
    }

    static NodePool nodePool() {
        return NodePool.of(meta("workers"), new NodePoolSpec(2, new NodeProfile(2, 512L << 20, Optional.of(1L << 30)),
                        "qemu", Map.of("role", "worker"), Map.of("zone", "a")))
                .withStatus(new NodePoolStatus(2, 1, Optional.of(3L)));
    }

    static Node node() {
        return Node.of(meta("workers-x7k2p"), new NodeSpec("workers", Optional.of("host-a"),
                        NodeProfile.of(1, 512L << 20), "firecracker", true))
                .withStatus(new NodeStatus(NodePhase.READY, Optional.of("vm-0001"), Optional.of("10.88.0.7"),
                        Optional.of(T1), Resources.of("1", "448Mi"),
                        List.of(new Condition("Ready", Condition.TRUE, Optional.of("AgentHealthy"),
                                Optional.of("guest agent answers"), T0)), Optional.of("booted in 180ms")));
    }

    static Pod pod() {
        ContainerTemplate httpd = new ContainerTemplate("httpd", "busybox-httpd:latest", List.of("/bin/httpd", "-f"),
                List.of("-p", "8080"), Map.of("PORT", "8080", "DEBUG", "true", "EMPTY", ""),
                List.of(new ContainerPort(8080, Optional.of(18080), "TCP"), ContainerPort.tcp(9090)),
                new ResourceRequirements(Resources.of("100m", "32Mi"), Optional.of(Resources.of("500m", "64Mi"))),
                Optional.of("/www"));
        ContainerTemplate sidecar = ContainerTemplate.of("sidecar", "busybox:1.36")
                .withResources(ResourceRequirements.requests(Resources.of("0.25", "1G")));
        PodSpec spec = new PodSpec(List.of(httpd, sidecar), RestartPolicy.ON_FAILURE, Map.of("role", "worker"),
                Optional.of("workers-x7k2p"));
        return Pod.of(meta("web-5d8f-abcde"), spec).withStatus(new PodStatus(PodPhase.RUNNING,
                Optional.of("workers-x7k2p"), Optional.of("Started"), Optional.of("all containers run"),
                Optional.of("10.88.0.20"), Optional.of(T1), List.of(
                new ContainerStatus("httpd", true, 0, ContainerStatus.RUNNING, Optional.empty(), Optional.empty(),
                        Optional.of("c-123")),
                new ContainerStatus("sidecar", false, 2, ContainerStatus.TERMINATED, Optional.of(1),
                        Optional.of("Error"), Optional.empty()))));
    }

    static Deployment deployment() {
        PodSpec spec = PodSpec.of(List.of(ContainerTemplate.of("httpd", "busybox-httpd:latest")
                .withPorts(List.of(ContainerPort.tcp(8080)))
                .withResources(ResourceRequirements.requests(Resources.of("100m", "32Mi")))));
        return Deployment.of(meta("web"), new DeploymentSpec(3, Map.of("app", "web"),
                        PodTemplate.of(Map.of("app", "web", "track", "stable"), spec),
                        new RollingUpdate(IntOrPercent.count(0), IntOrPercent.percent(50))))
                .withStatus(new DeploymentStatus(3, 2, 2, 1, Optional.of(3L)));
    }

    static Event event() {
        return Event.of(meta("web-5d8f-abcde-scheduled"), ObjectReference.to(pod()), EventType.WARNING, "Scheduled",
                "bound to workers-x7k2p", "scheduler", T0).repeatedAt(T1);
    }

    static List<Resource> all() {
        return List.of(host(), nodePool(), node(), pod(), deployment(), event());
    }
}
