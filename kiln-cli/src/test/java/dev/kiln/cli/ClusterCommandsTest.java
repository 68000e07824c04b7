package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster commands against a real cluster API server (over an in-memory store: these tests are about the
 * commands, not the store or the VMs): apply, get, describe, scale, delete, and their errors.
 */
class ClusterCommandsTest {
    private static ClusterApiServer server;
    private static String url;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        server = ClusterApiServer.start(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                "127.0.0.1", 0, Optional.empty(), java.util.List.of(),
                dev.kiln.cluster.api.ApiToken.loadOrCreate(dir)); // as 'kiln up' does
        url = server.uri().toString();
    }

    /** A kiln command line as a user types it; the daemon's state directory holds the API token. */
    private static CliRunner.Result run(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("--state-dir", dir.toString()));
        all.addAll(java.util.List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static Path examples() {
        return Path.of(System.getProperty("kiln.project.root", "..")).resolve("examples/cluster");
    }

    @Test
    void applyGetDescribeScaleAndDeleteTheExamples() {
        var applied = run("apply", "-f", examples().toString(), "--server", url);
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("deployment/web created").contains("nodepool/workers created");
        assertThat(run("apply", "-f", examples().toString(), "--server", url).out())
                .contains("deployment/web unchanged");

        var pools = run("get", "np", "--server", url);
        assertThat(pools.out()).startsWith("NAME").contains("workers").contains("512Mi");
        var yaml = run("get", "deployments", "web", "-o", "yaml", "--server", url);
        assertThat(yaml.out()).contains("kind: Deployment").contains("replicas: 2");

        assertThat(run("scale", "deployment", "web", "--replicas", "5", "--server", url).out())
                .contains("deployment/web scaled to 5");
        assertThat(run("get", "deploy", "web", "-o", "json", "--server", url).out())
                .contains("\"replicas\" : 5");
        assertThat(run("describe", "deployment", "web", "--server", url).out())
                .contains("name: web").contains("Events:");

        var deleted = run("delete", "-f", examples().toString(), "--server", url);
        assertThat(deleted.out()).contains("deployment/web deleted").contains("nodepool/workers deleted");
        assertThat(run("get", "pods", "--server", url).err()).contains("no pods found");
    }

    @Test
    void aBadManifestChangesNothingAndSaysWhereItIsWrong() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), """
                apiVersion: kiln.dev/v1
                kind: NodePool
                metadata: {name: fine}
                spec: {replicas: 1, profile: {cpus: 1, memory: 512Mi}}
                ---
                apiVersion: kiln.dev/v1
                kind: Deployment
                metadata: {name: broken}
                spec: {replicsa: 2}
                """);
        var r = run("apply", "-f", bad.toString(), "--server", url);
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("replicsa").contains("document 2");
        assertThat(run("get", "nodepools", "fine", "--server", url).exitCode())
                .as("the valid first document was not applied either").isEqualTo(ExitCodes.NOT_FOUND);

        var negative = run("scale", "deployment", "nope", "--replicas", "1", "--server", url);
        assertThat(negative.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(run("get", "widgets", "--server", url).err()).contains("unknown kind");
    }

    @Test
    void noServerIsAClearError() {
        var r = run("get", "pods", "--server", "http://127.0.0.1:1");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(r.err()).contains("no kiln API server at").contains("kiln up");
    }
}
