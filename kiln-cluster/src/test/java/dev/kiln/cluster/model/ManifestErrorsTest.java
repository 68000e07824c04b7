package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestErrorsTest {
    private static final String POD = """
            apiVersion: kiln.dev/v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers: [{name: c, image: busybox}]
            """;

    private static ManifestException readFails(String text) {
        return catchThrowableOfType(ManifestException.class, () -> Manifests.read(text, "manifest.yaml"));
    }

    @Test
    void unknownKindNamesTheDocumentAndTheKnownKinds() {
        ManifestException e = readFails(POD + """
                ---
                apiVersion: kiln.dev/v1
                kind: Nodepool
                metadata: {name: workers}
                """);
        assertThat(e.getMessage()).isEqualTo("manifest.yaml, document 2: unknown kind 'Nodepool'; known kinds: Host,"
                + " NodePool, Node, Pod, Deployment, Event");
        assertThat(e.code()).isEqualTo(ClusterError.UNKNOWN_KIND);
        assertThat(e.hint()).contains("did you mean 'NodePool'?");
        assertThat(e).isInstanceOf(ClusterException.class);
    }

    @Test
    void unknownFieldNamesItsPathAndTheKnownFieldsThere() {
        ManifestException e = readFails("""
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicsa: 3
                """);
        assertThat(e.getMessage()).isEqualTo("manifest.yaml, document 1 (Deployment web): unknown field"
                + " 'spec.replicsa'; known fields here: replicas, selector, template, strategy");
        assertThat(e.code()).isEqualTo(ClusterError.UNKNOWN_FIELD);
        assertThat(e.path()).contains("spec.replicsa");
        assertThat(e.hint()).contains("did you mean 'replicas'?");
    }

    @Test
    void unknownFieldDeepInsideAList() {
        ManifestException e = readFails("""
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      containers:
                        - {name: a, image: busybox}
                        - name: b
                          imagee: busybox
                """);
        assertThat(e.getMessage()).isEqualTo("manifest.yaml, document 1 (Deployment web): unknown field"
                + " 'spec.template.spec.containers[1].imagee'; known fields here: name, image, command, args, env,"
                + " ports, resources, workingDir");
        assertThat(e.hint()).contains("did you mean 'image'?");
    }

    @Test
    void unknownFieldInQuantitiesProfilesAndSelectors() {
        assertThat(readFails(POD.replace("image: busybox}", "image: busybox, resources: {requests: {cpus: 1}}}"))
                .getMessage()).endsWith("unknown field 'spec.containers[0].resources.requests.cpus'; known fields"
                + " here: cpu, memory");
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: w}
                spec: {profile: {cpus: 1, memory: 1Gi, disk: 1Gi}}
                """).getMessage()).endsWith("unknown field 'spec.profile.disk'; known fields here: cpus, memory,"
                + " scratch");
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: w}
                spec: {selector: {matchExpressions: []}}
                """).getMessage()).endsWith("unknown field 'spec.selector.matchExpressions'; known fields here:"
                + " matchLabels");
        assertThat(readFails(POD.replace("kind: Pod", "kind: Pod\nstatu: {}")).getMessage())
                .isEqualTo("manifest.yaml, document 1 (Pod p): unknown field 'statu'; known fields here: apiVersion,"
                        + " kind, metadata, spec, status");
    }

    @Test
    void wrongApiVersionOrMissingKind() {
        ManifestException e = readFails(POD.replace("kiln.dev/v1", "apps/v1"));
        assertThat(e.getMessage()).isEqualTo("manifest.yaml, document 1 (Pod p): unsupported apiVersion 'apps/v1';"
                + " expected 'kiln.dev/v1'");
        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
        assertThat(e.hint()).contains("set apiVersion: kiln.dev/v1");
        assertThat(readFails(POD.replace("apiVersion: kiln.dev/v1\n", "")).getMessage())
                .isEqualTo("manifest.yaml, document 1 (Pod p): missing apiVersion; expected 'kiln.dev/v1'");
        assertThat(readFails(POD.replace("kind: Pod\n", "")).getMessage())
                .isEqualTo("manifest.yaml, document 1: missing kind; known kinds: Host, NodePool, Node, Pod,"
                        + " Deployment, Event");
        assertThat(readFails("- a\n- b\n").getMessage())
                .isEqualTo("manifest.yaml, document 1: expected a mapping with apiVersion, kind, metadata and spec,"
                        + " got array");
    }

    @Test
    void malformedYamlSaysWhere() {
        ManifestException e = readFails("""
                apiVersion: kiln.dev/v1
                kind: Pod
                metadata:
                  name: p
                 labels: {a: b}
                """);
        assertThat(e.getMessage()).startsWith("manifest.yaml: malformed YAML at line 5, column ");
        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
        assertThat(readFails("kind: Pod\nspec: {containers: [}\n").getMessage())
                .startsWith("manifest.yaml: malformed YAML at line 2, column ");
        assertThat(readFails("kind: Pod\nkind: Node\n").getMessage())
                .isEqualTo("manifest.yaml: malformed YAML at line 2, column 7: duplicate key 'kind'");
    }

    @Test
    void malformedJsonSaysWhere() {
        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> Manifests.readJson("{\"kind\": \"Pod\",\n \"metadata\": }".getBytes(StandardCharsets.UTF_8)));
        assertThat(e.getMessage()).startsWith("malformed JSON at line 2, column ");
    }

    @Test
    void valuesOfTheWrongTypeNameThePath() {
        assertThat(readFails(POD.replace("spec:", "spec:\n  restartPolicy: Sometimes")).getMessage())
                .isEqualTo("manifest.yaml, document 1 (Pod p): spec.restartPolicy: cannot read 'Sometimes' as one of"
                        + " Always, OnFailure, Never");
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: w}
                spec: {replicas: three}
                """).getMessage()).isEqualTo("manifest.yaml, document 1 (NodePool w): spec.replicas: expected"
                + " a whole number, got 'three'");
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: w}
                spec: {replicas: 1.5}
                """).getMessage()).startsWith("manifest.yaml, document 1 (NodePool w): spec.replicas: ");
        assertThat(readFails(POD.replace("[{name: c, image: busybox}]", "{name: c}")).getMessage())
                .isEqualTo("manifest.yaml, document 1 (Pod p): spec.containers: expected a list, got a mapping");
        assertThat(readFails(POD.replace("image: busybox}", "image: busybox, ports: [{containerPort: \"80\"}]}"))
                .getMessage()).startsWith("manifest.yaml, document 1 (Pod p): spec.containers[0].ports[0]"
                + ".containerPort: ");
        assertThat(readFails(POD.replace("metadata: {name: p}", "metadata: {name: p, labels: [a]}")).getMessage())
                .isEqualTo("manifest.yaml, document 1 (Pod p): metadata.labels: expected a mapping, got a list");
    }

    @Test
    void badQuantitiesNameThePath() {
        ManifestException e = readFails(POD.replace("image: busybox}",
                "image: busybox, resources: {requests: {cpu: 1, memory: 1.5Xi}}}"));
        assertThat(e.getMessage()).isEqualTo("manifest.yaml, document 1 (Pod p):"
                + " spec.containers[0].resources.requests.memory: invalid memory quantity '1.5Xi': unknown suffix 'Xi'");
        assertThat(e.path()).contains("spec.containers[0].resources.requests.memory");
        assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("512Mi"));
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: w}
                spec: {profile: {cpus: 1, memory: lots}}
                """).getMessage()).isEqualTo("manifest.yaml, document 1 (NodePool w): spec.profile.memory: invalid"
                + " memory quantity 'lots': not a number with an optional suffix");
        assertThat(readFails("""
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: w}
                spec: {strategy: {maxSurge: "lots%"}}
                """).getMessage()).isEqualTo("manifest.yaml, document 1 (Deployment w): spec.strategy.maxSurge:"
                + " invalid count or percentage 'lots%'");
    }

    @Test
    void readJsonHasNoSourceName() {
        ManifestException e = catchThrowableOfType(ManifestException.class, () -> Manifests.readJson("""
                {"apiVersion": "kiln.dev/v1", "kind": "Deployment", "metadata": {"name": "web"},
                 "spec": {"replicsa": 3}}""".getBytes(StandardCharsets.UTF_8)));
        assertThat(e.getMessage()).isEqualTo("document 1 (Deployment web): unknown field 'spec.replicsa'; known"
                + " fields here: replicas, selector, template, strategy");
    }
}
