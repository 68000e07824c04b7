package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestsTest {
    static List<Resource> samples() {
        return Samples.all();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void roundTripsThroughYaml(Resource resource) {
        String yaml = Manifests.toYaml(resource);
        assertThat(Manifests.read(yaml, "sample.yaml")).containsExactly(resource);
        assertThat(yaml).startsWith("apiVersion: kiln.dev/v1\nkind: " + resource.kind().manifestName() + "\n");
    }

    @ParameterizedTest
    @MethodSource("samples")
    void roundTripsThroughJson(Resource resource) {
        assertThat(Manifests.readJson(Manifests.toJson(resource))).isEqualTo(resource);
        assertThat(Manifests.readJson(Manifests.toPrettyJson(resource).getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(resource);
        assertThat(Manifests.read(Manifests.toJsonString(resource), "sample.json")).containsExactly(resource);
    }

    @Test
    void writesQuantitiesEnumsAndTimesInManifestForm() {
        String yaml = Manifests.toYaml(Samples.pod());
        assertThat(yaml).contains("restartPolicy: OnFailure", "phase: Running", "cpu: 100m", "memory: 32Mi",
                "cpu: 250m", "memory: 1G",
                "PORT: \"8080\"", "DEBUG: \"true\"");
        String json = Manifests.toJsonString(Samples.deployment());
        assertThat(json).contains("\"kind\":\"Deployment\"", "\"selector\":{\"matchLabels\":{\"app\":\"web\"}}",
                "\"strategy\":{\"maxUnavailable\":0,\"maxSurge\":\"50%\"}", "\"requests\":{\"cpu\":\"100m\",\"memory\":\"32Mi\"}");
        assertThat(Manifests.toJsonString(Samples.nodePool()))
                .contains("\"profile\":{\"cpus\":2,\"memory\":\"512Mi\",\"scratch\":\"1Gi\"}");
    }

    @Test
    void readsSeveralDocumentsAndSkipsEmptyOnes() {
        List<Resource> read = Manifests.read("""
                ---
                apiVersion: kiln.dev/v1
                kind: Pod
                metadata: {name: a}
                spec:
                  containers: [{name: c, image: busybox}]
                ---
                # nothing here
                ---
                {"apiVersion": "kiln.dev/v1", "kind": "NodePool", "metadata": {"name": "p"}}
                """, "two.yaml");
        assertThat(read).extracting(Resource::kind).containsExactly(Kind.POD, Kind.NODE_POOL);
        assertThat(Manifests.read("", "empty.yaml")).isEmpty();
    }

    @Test
    void fillsDefaultsForWhatIsMissing() {
        List<Resource> read = Manifests.read("""
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata:
                  name: web
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: httpd
                          image: busybox
                          ports: [{containerPort: 80}]
                          resources: {requests: {cpu: 1}}
                ---
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: workers}
                spec: {profile: {cpus: 1, memory: 1073741824}}
                ---
                apiVersion: kiln.dev/v1
                kind: Host
                metadata: {name: h}
                """, "defaults.yaml");
        Deployment d = (Deployment) read.get(0);
        assertThat(d.spec().replicas()).isEqualTo(1);
        assertThat(d.spec().strategy()).isEqualTo(RollingUpdate.DEFAULT);
        assertThat(d.status()).isEqualTo(DeploymentStatus.EMPTY);
        assertThat(d.metadata().labels()).isEmpty();
        assertThat(d.metadata().uid()).isEmpty();
        ContainerTemplate c = d.spec().template().spec().containers().getFirst();
        assertThat(c.ports()).containsExactly(new ContainerPort(80, Optional.empty(), "TCP"));
        assertThat(c.resources().requests()).isEqualTo(new Resources(1000, 0));
        assertThat(c.resources().limits()).isEmpty();
        assertThat(c.command()).isEmpty();
        assertThat(c.env()).isEmpty();
        assertThat(d.spec().template().spec().restartPolicy()).isEqualTo(RestartPolicy.ALWAYS);
        NodePool pool = (NodePool) read.get(1);
        assertThat(pool.spec().driver()).isEqualTo("auto");
        assertThat(pool.spec().replicas()).isEqualTo(1);
        assertThat(pool.spec().profile()).isEqualTo(NodeProfile.of(1, 1L << 30));
        assertThat(pool.status()).isEqualTo(NodePoolStatus.EMPTY);
        Host host = (Host) read.get(2);
        assertThat(host.status().phase()).isEqualTo(HostPhase.SUSPECT);
        assertThat(host.spec().capacity()).isEqualTo(Resources.ZERO);
    }

    @Test
    void aHostWrittenBeforeItsClusterCidrAndApiPortWereRecordedStillReads() {
        // as a kiln before spec.clusterCidr and spec.apiPort stored it, and before spec.subnet
        Host json = (Host) Manifests.readJson(("""
                {"apiVersion":"kiln.dev/v1","kind":"Host","metadata":{"name":"h1","resourceVersion":"7"},
                 "spec":{"address":"192.0.2.1","capacity":{"cpu":"2","memory":"4Gi"},"subnet":"10.90.1.0/24"},
                 "status":{"phase":"Ready","lastHeartbeat":"2025-03-01T10:15:30Z"}}
                """).getBytes(StandardCharsets.UTF_8));
        assertThat(json.spec()).isEqualTo(new HostSpec("192.0.2.1", Resources.of("2", "4Gi"), "10.90.1.0/24"));
        assertThat(json.spec().clusterCidr()).isEmpty();
        assertThat(json.spec().apiPort()).isZero();
        Host yaml = (Host) Manifests.read("""
                apiVersion: kiln.dev/v1
                kind: Host
                metadata: {name: h0}
                spec: {address: 192.0.2.2, capacity: {cpu: "1", memory: 1Gi}}
                """, "old.yaml").getFirst();
        assertThat(yaml.spec()).isEqualTo(new HostSpec("192.0.2.2", Resources.of("1", "1Gi"), "", "", 0));
    }

    @Test
    void aHostsClusterCidrAndApiPortAreWrittenOnlyWhenKnown() {
        Host h = Host.of(ObjectMeta.named("h1"), new HostSpec("192.0.2.1", Resources.ZERO, "10.90.1.0/24",
                "10.90.0.0/16", 7071));
        assertThat(Manifests.toJsonString(h)).contains("\"subnet\":\"10.90.1.0/24\"",
                "\"clusterCidr\":\"10.90.0.0/16\"", "\"apiPort\":7071");
        assertThat(Manifests.toYaml(h)).contains("clusterCidr: 10.90.0.0/16", "apiPort: 7071");
        String unknown = Manifests.toJsonString(Host.of(ObjectMeta.named("h1"), new HostSpec("192.0.2.1",
                Resources.ZERO)));
        assertThat(unknown).doesNotContain("clusterCidr", "subnet", "apiPort", "guestImage");
    }

    @Test
    void aHostsGuestImageRoundTripsAndAnOldHostHasNone() {
        String digest = "ab".repeat(32);
        Host h = Host.of(ObjectMeta.named("h1"), new HostSpec("192.0.2.1", Resources.ZERO, "10.90.1.0/24",
                "10.90.0.0/16", 7071, digest));
        assertThat(Manifests.toJsonString(h)).contains("\"guestImage\":\"" + digest + "\"");
        Host back = (Host) Manifests.readJson(Manifests.toJsonString(h).getBytes(StandardCharsets.UTF_8));
        assertThat(back.spec().guestImage()).isEqualTo(digest);
        assertThat(new HostSpec("192.0.2.1", Resources.ZERO, "", "", 0).guestImage()).isEmpty();
    }

    @Test
    void podRequestsAreTheSumOfItsContainers() {
        assertThat(Samples.pod().requests()).isEqualTo(new Resources(350, (32L << 20) + 1_000_000_000L));
        assertThat(Pod.of(ObjectMeta.named("empty"), PodSpec.of(List.of())).requests()).isEqualTo(Resources.ZERO);
    }
}
