package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ValidationTest {
    static List<Resource> samples() {
        return Samples.all();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void samplesAreValid(Resource resource) {
        assertThat(Validation.problems(resource)).isEmpty();
        Validation.check(resource);
    }

    @Test
    void negativeReplicas() {
        Deployment d = Samples.deployment();
        assertThat(Validation.problems(d.withSpec(d.spec().withReplicas(-1))))
                .containsExactly("spec.replicas: must be >= 0, got -1");
        NodePool pool = Samples.nodePool();
        assertThat(Validation.problems(pool.withSpec(pool.spec().withReplicas(-2))))
                .containsExactly("spec.replicas: must be >= 0, got -2");
    }

    @Test
    void checkThrowsWithEveryProblem() {
        Deployment d = Samples.deployment();
        Deployment bad = d.withMetadata(d.metadata().withLabels(Map.of("bad key!", "v"))).withSpec(d.spec().withReplicas(-1));
        ClusterException e = catchThrowableOfType(ClusterException.class, () -> Validation.check(bad));
        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
        assertThat(e.getMessage()).startsWith("Deployment web is invalid: metadata.labels: key 'bad key!' is not valid")
                .endsWith("; spec.replicas: must be >= 0, got -1");
    }

    @Test
    void names() {
        for (String bad : List.of("Web", "web_1", "-web", "web-", "a".repeat(64), "web.1")) {
            assertThat(Validation.problems(Samples.host().withMetadata(ObjectMeta.named(bad))))
                    .singleElement().asString().startsWith("metadata.name: '" + bad + "' is not a valid name");
        }
        assertThat(Validation.problems(Samples.host().withMetadata(ObjectMeta.named(""))))
                .containsExactly("metadata.name: must not be empty");
        for (String good : List.of("web", "a", "web-1", "0", "a".repeat(63))) {
            assertThat(Validation.problems(Samples.host().withMetadata(ObjectMeta.named(good)))).isEmpty();
        }
    }

    @Test
    void labels() {
        assertThat(Names.isLabelKey("app")).isTrue();
        assertThat(Names.isLabelKey("kiln.dev/pool")).isTrue();
        assertThat(Names.isLabelKey("app.kubernetes.io/name")).isTrue();
        assertThat(Names.isLabelKey("My_Key.1")).isTrue();
        assertThat(Names.isLabelKey("/app")).isFalse();
        assertThat(Names.isLabelKey("Kiln.Dev/app")).isFalse();
        assertThat(Names.isLabelKey("a/b/c")).isFalse();
        assertThat(Names.isLabelKey("_app")).isFalse();
        assertThat(Names.isLabelKey("x".repeat(64))).isFalse();
        assertThat(Names.isLabelValue("")).isTrue();
        assertThat(Names.isLabelValue("v1.2_beta-3")).isTrue();
        assertThat(Names.isLabelValue("has space")).isFalse();
        assertThat(Names.isLabelValue("x".repeat(64))).isFalse();
        NodePool pool = Samples.nodePool();
        NodePoolSpec s = pool.spec();
        assertThat(Validation.problems(pool.withSpec(new NodePoolSpec(1, s.profile(), "auto", Map.of("role", "a b"),
                Map.of("zone/", "a"))))).containsExactly(
                "spec.nodeLabels.role: value 'a b' is not valid: " + Names.LABEL_VALUE_RULE,
                "spec.hostSelector: key 'zone/' is not valid: " + Names.LABEL_KEY_RULE);
    }

    @Test
    void profilesAndDrivers() {
        NodePool pool = Samples.nodePool();
        NodePoolSpec bad = new NodePoolSpec(1, NodeProfile.of(0, 32L << 20), "kvm", Map.of(), Map.of());
        assertThat(Validation.problems(pool.withSpec(bad))).containsExactly(
                "spec.profile.cpus: must be >= 1, got 0",
                "spec.profile.memory: must be at least 64Mi, got 32Mi",
                "spec.driver: must be one of auto, qemu, firecracker, fake; got 'kvm'");
        Node node = Samples.node();
        assertThat(Validation.problems(node.withSpec(new NodeSpec("Pool", Optional.of("host_a"),
                NodeProfile.of(1, 64L << 20), "fake", false)))).containsExactly(
                "spec.pool: 'Pool' is not a valid name: " + Names.DNS_LABEL_RULE,
                "spec.host: 'host_a' is not a valid name: " + Names.DNS_LABEL_RULE);
    }

    @Test
    void containers() {
        ContainerTemplate ok = ContainerTemplate.of("app", "busybox");
        ContainerTemplate dup = new ContainerTemplate("app", "", List.of(), List.of(), Map.of("1BAD", "x"),
                List.of(new ContainerPort(0, Optional.of(70000), "SCTP")),
                new ResourceRequirements(new Resources(-1, 0), Optional.empty()), Optional.of("relative"));
        ContainerTemplate badName = ContainerTemplate.of("App", "busybox");
        Pod pod = Pod.of(ObjectMeta.named("p"), PodSpec.of(List.of(ok, dup, badName)));
        assertThat(Validation.problems(pod)).containsExactly(
                "spec.containers[1].name: 'app' is used by an earlier container; names must be unique",
                "spec.containers[1].image: must not be empty",
                "spec.containers[1].env: '1BAD' is not a valid variable name: letters, digits and '_', not starting"
                        + " with a digit",
                "spec.containers[1].ports[0].containerPort: must be a port from 1 to 65535, got 0",
                "spec.containers[1].ports[0].hostPort: must be a port from 1 to 65535, got 70000",
                "spec.containers[1].ports[0].protocol: must be one of TCP, UDP; got 'SCTP'",
                "spec.containers[1].workingDir: must be an absolute path, got 'relative'",
                "spec.containers[1].resources.requests.cpu: must not be negative, got -1m",
                "spec.containers[2].name: 'App' is not a valid name: " + Names.DNS_LABEL_RULE);
        assertThat(Validation.problems(Pod.of(ObjectMeta.named("p"), PodSpec.of(List.of()))))
                .containsExactly("spec.containers: must have at least one container");
    }

    @Test
    void limitsMustCoverRequests() {
        ContainerTemplate c = ContainerTemplate.of("app", "busybox").withResources(new ResourceRequirements(
                Resources.of("500m", "128Mi"), Optional.of(Resources.of("200m", "64Mi"))));
        assertThat(Validation.problems(Pod.of(ObjectMeta.named("p"), PodSpec.of(List.of(c))))).containsExactly(
                "spec.containers[0].resources.limits.cpu: must be >= the request 500m, got 200m",
                "spec.containers[0].resources.limits.memory: must be >= the request 128Mi, got 64Mi");
    }

    @Test
    void deploymentSelectorMustMatchTemplate() {
        Deployment d = Samples.deployment();
        DeploymentSpec s = d.spec();
        assertThat(Validation.problems(d.withSpec(new DeploymentSpec(3, Map.of("app", "api"), s.template(),
                s.strategy())))).containsExactly("spec.selector: does not match the template's labels"
                + " (spec.template.metadata.labels lacks app=api)");
        assertThat(Validation.problems(d.withSpec(new DeploymentSpec(3, Map.of(), s.template(), s.strategy()))))
                .containsExactly("spec.selector: must name at least one label (matchLabels)");
        PodSpec bound = new PodSpec(s.template().spec().containers(), RestartPolicy.NEVER, Map.of(),
                Optional.of("node-1"));
        assertThat(Validation.problems(d.withSpec(s.withTemplate(PodTemplate.of(s.template().labels(), bound)))))
                .containsExactly("spec.template.spec.restartPolicy: must be Always in a Deployment",
                        "spec.template.spec.nodeName: must not be set in a template: the scheduler binds each Pod");
    }

    @Test
    void rollingUpdateBudget() {
        Deployment d = Samples.deployment();
        DeploymentSpec s = d.spec();
        assertThat(Validation.problems(d.withSpec(new DeploymentSpec(3, s.selector(), s.template(),
                new RollingUpdate(IntOrPercent.count(0), IntOrPercent.percent(0)))))).containsExactly(
                "spec.strategy: maxUnavailable and maxSurge must not both be 0, or an update could never start");
        assertThat(Validation.problems(d.withSpec(new DeploymentSpec(3, s.selector(), s.template(),
                new RollingUpdate(IntOrPercent.percent(150), IntOrPercent.count(-1)))))).containsExactly(
                "spec.strategy.maxUnavailable: must be a percentage from 0% to 100%, got 150%",
                "spec.strategy.maxSurge: must be >= 0, got -1");
    }

    @Test
    void hostsEventsAndStatuses() {
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("", new Resources(-1, 0)))))
                .containsExactly("spec.address: must not be empty", "spec.capacity.cpu: must not be negative, got -1m");
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "10.90.2.7/24")))).containsExactly("spec.subnet: has host bits set: write the network address, "
                + "10.90.2.0/24");
        for (String bad : List.of("10.90.2.0", "10.90.2.0/33", "10.90.256.0/24", "10.090.2.0/24", "x/24", " 10.90.2.0/24")) {
            assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                    bad)))).as(bad).containsExactly("spec.subnet: must be an IPv4 subnet such as 10.90.2.0/24 (or "
                    + "empty), got '" + bad + "'");
        }
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "10.90.2.0/24")))).isEmpty();
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "10.90.2.0/24", "10.90.0.0/16", 7070)))).isEmpty();
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "10.90.2.0/24", "10.90.0.1/16", 70700)))).containsExactly(
                "spec.clusterCidr: has host bits set: write the network address, 10.90.0.0/16",
                "spec.apiPort: must be a port from 1 to 65535 (or 0: not known), got 70700");
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "10.90.2.0/24", "10.90.0.0", -1)))).containsExactly(
                "spec.clusterCidr: must be an IPv4 subnet such as 10.90.0.0/16 (or empty), got '10.90.0.0'",
                "spec.apiPort: must be a port from 1 to 65535 (or 0: not known), got -1");
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "", "", 0, "../etc")))).containsExactly(
                "spec.guestImage: must be a guest image digest (64 lowercase hex characters) or empty, got '../etc'");
        assertThat(Validation.problems(Host.of(ObjectMeta.named("h"), new HostSpec("10.0.0.5", Resources.ZERO,
                "", "", 0, "0f".repeat(32))))).isEmpty();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        Event e = Event.of(ObjectMeta.named("e"), new ObjectReference(Kind.POD, "", Optional.empty()),
                EventType.NORMAL, "", "m", "test", t);
        assertThat(Validation.problems(e.repeatedAt(t.minusSeconds(1)))).containsExactly(
                "involvedObject.name: must not be empty", "reason: must not be empty",
                "lastTimestamp: must not be before firstTimestamp 2025-01-01T00:00:00Z");
        Node node = Samples.node();
        assertThat(Validation.problems(node.withStatus(new NodeStatus(NodePhase.READY, Optional.empty(),
                Optional.empty(), Optional.empty(), Resources.ZERO, List.of(new Condition("Ready", "yes",
                Optional.empty(), Optional.empty(), t)), Optional.empty()))))
                .containsExactly("status.conditions[0].status: must be one of True, False, Unknown; got 'yes'");
    }
}
