package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class KindTest {
    @ParameterizedTest
    @CsvSource({"Host, HOST", "hosts, HOST", "host, HOST", "NodePool, NODE_POOL", "nodepools, NODE_POOL",
            "np, NODE_POOL", "NODEPOOL, NODE_POOL", "node, NODE", "Nodes, NODE", "po, POD", "pods, POD",
            "deploy, DEPLOYMENT", "Deployment, DEPLOYMENT", "deployments, DEPLOYMENT", "ev, EVENT", "events, EVENT"})
    void parsesNamesPluralsAndAliasesIgnoringCase(String name, Kind kind) {
        assertThat(Kind.parse(name)).isEqualTo(kind);
    }

    @Test
    void unknownKindListsTheValidOnes() {
        ClusterException e = catchThrowableOfType(ClusterException.class, () -> Kind.parse("service"));
        assertThat(e.code()).isEqualTo(ClusterError.UNKNOWN_KIND);
        assertThat(e.getMessage()).isEqualTo("unknown kind 'service'; known kinds: Host, NodePool, Node, Pod,"
                + " Deployment, Event");
        assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("NodePool (nodepools, nodepool, np)"));
    }

    @Test
    void manifestNamesAreExact() {
        assertThat(Kind.ofManifestName("NodePool")).contains(Kind.NODE_POOL);
        assertThat(Kind.ofManifestName("Nodepool")).isEmpty();
        assertThat(Kind.POD.plural()).isEqualTo("pods");
        assertThat(Kind.NODE_POOL.manifestName()).isEqualTo("NodePool");
        for (Kind kind : Kind.values()) {
            assertThat(Kind.parse(kind.plural())).isEqualTo(kind);
            assertThat(kind.type().getSimpleName()).isEqualTo(kind.manifestName());
        }
    }
}
