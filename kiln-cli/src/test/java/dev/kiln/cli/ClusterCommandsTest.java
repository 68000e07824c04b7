package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.api.PodLogSource;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * commands, not the store or the VMs): apply, get (and its watch), describe, scale, delete, logs of a pod, and their
 * errors. The server's pod log source is a stand-in: the logs test is about the CLI and the API, not the guest.
 */
class ClusterCommandsTest {
    private static ClusterApiServer server;
    private static String url;

    @TempDir
    static Path dir;

    /** The pod log source of the server; each test that reads logs sets it. */
    private static volatile PodLogSource logs = (pod, container, follow) -> {
        throw new ClusterException(ClusterError.UNAVAILABLE, "no logs in this test");
    };

    @BeforeAll
    static void start() {
        server = ClusterApiServer.start(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                "127.0.0.1", 0, Optional.of((pod, container, follow) -> logs.open(pod, container, follow)),
                java.util.List.of(), dev.kiln.cluster.api.ApiToken.loadOrCreate(dir)); // as 'kiln up' does
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

    /** Applies a one-container Pod named {@code name}, with label {@code try: n}. */
    private static void applyPod(String name, int n) throws IOException {
        Path f = Files.writeString(dir.resolve(name + ".yaml"), """
                apiVersion: kiln.dev/v1
                kind: Pod
                metadata: {name: %s, labels: {try: "%d"}}
                spec:
                  containers:
                    - {name: main, image: "busybox:1"}
                """.formatted(name, n));
        var r = run("apply", "-f", f.toString(), "--server", url);
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    @Test
    void getWatchPrintsARowForEveryChangeUntilStopped() throws IOException {
        applyPod("watch-before", 0);
        applyPod("watch-other", 0);
        var watch = CliRunner.start("--state-dir", dir.toString(), "get", "pods", "-w", "--server", url);
        var named = CliRunner.start("--state-dir", dir.toString(), "get", "pods", "watch-other", "-w", "-o", "json",
                "--server", url);
        try {
            // the table comes first; then the watch, from the table's version: each change after it, nothing before
            await().atMost(Duration.ofSeconds(20)).until(() -> watch.out().contains("watch-before")
                    && named.out().contains("watch-other"));
            applyPod("watch-me", 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> watch.out().contains("ADDED   watch-me"));
            applyPod("watch-me", 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> watch.out().contains("MODIFIED   watch-me"));
            // now the watch runs: a deletion shows at once, as one row
            assertThat(run("delete", "pod", "watch-me", "--server", url).exitCode()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> watch.out().contains("DELETED   watch-me"));
            assertThat(watch.out().lines().filter(l -> l.startsWith("DELETED"))).singleElement().asString()
                    .contains("watch-me").contains("Pending");
            assertThat(watch.ended()).as("a watch runs until it is stopped").isFalse();
            assertThat(watch.out()).as("the pods the table showed are not printed again").doesNotContain("ADDED   watch-before")
                    .doesNotContain("ADDED   watch-other");

            // a named watch prints only that resource's changes, in the format asked for (one JSON line each)
            applyPod("watch-me", 3);
            applyPod("watch-other", 999);
            await().atMost(Duration.ofSeconds(10)).until(() -> named.out().contains("\"try\":\"999\""));
            assertThat(named.out()).as("changes of other pods, made before the last one").doesNotContain("watch-me");
            assertThat(named.out().lines().filter(l -> l.startsWith("{\"")))
                    .allSatisfy(l -> assertThat(l).contains("\"name\":\"watch-other\""));
        } finally {
            var stopped = watch.stop();
            var namedStopped = named.stop();
            assertThat(stopped.exitCode()).as(stopped.err()).isZero();
            assertThat(namedStopped.exitCode()).as(namedStopped.err()).isZero();
            for (String pod : List.of("watch-before", "watch-other", "watch-me")) {
                run("delete", "pod", pod, "--server", url);
            }
        }
        assertThat(watch.out()).startsWith("NAME");
    }

    /** What the log source was asked for. */
    private record Opened(String pod, Optional<String> container, boolean follow) {
    }

    @Test
    void logsOfAPodComeThroughTheApiFromItsNodesSource() throws IOException {
        List<Opened> opened = new CopyOnWriteArrayList<>();
        logs = (pod, container, follow) -> {
            opened.add(new Opened(pod.name(), container, follow));
            if (container.isPresent() && !container.get().equals("main")) {
                throw new ClusterException(ClusterError.NOT_FOUND, "pod " + pod.name() + " has no container '"
                        + container.get() + "'");
            }
            return new ByteArrayInputStream("started\nline 2\n".getBytes(StandardCharsets.UTF_8));
        };
        applyPod("logged", 0);
        try {
            var r = run("logs", "pod/logged", "--server", url);
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo("started\nline 2\n");
            assertThat(run("logs", "-c", "main", "pod/logged", "--server", url).out()).isEqualTo("started\nline 2\n");
            assertThat(opened).containsExactly(new Opened("logged", Optional.empty(), false),
                    new Opened("logged", Optional.of("main"), false));

            var noContainer = run("logs", "-c", "sidecar", "pod/logged", "--server", url);
            assertThat(noContainer.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(noContainer.err()).contains("no container 'sidecar'");
            var noPod = run("logs", "pod/nope", "--server", url);
            assertThat(noPod.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(noPod.err()).contains("nope");
            assertThat(opened).as("an unknown pod never reaches the source").hasSize(3);
        } finally {
            run("delete", "pod", "logged", "--server", url);
        }
    }

    @Test
    void logsFollowPrintsNewOutputUntilTheContainerEnds() throws IOException {
        PipedOutputStream container = new PipedOutputStream();
        PipedInputStream source = new PipedInputStream(container);
        List<Opened> opened = new CopyOnWriteArrayList<>();
        logs = (pod, c, follow) -> {
            opened.add(new Opened(pod.name(), c, follow));
            return source;
        };
        applyPod("followed", 0);
        var follow = CliRunner.start("--state-dir", dir.toString(), "logs", "-f", "pod/followed", "--server", url);
        try {
            container.write("first\n".getBytes(StandardCharsets.UTF_8));
            container.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> follow.out().equals("first\n"));
            assertThat(follow.ended()).as("still following").isFalse();
            assertThat(opened).containsExactly(new Opened("followed", Optional.empty(), true));
            container.write("second\n".getBytes(StandardCharsets.UTF_8));
            container.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> follow.out().equals("first\nsecond\n"));

            container.close(); // the container ended: the stream ends, and so does the command
            var ended = follow.await(Duration.ofSeconds(10));
            assertThat(ended.exitCode()).as(ended.err()).isZero();
            assertThat(ended.out()).isEqualTo("first\nsecond\n");
        } finally {
            if (!follow.ended()) {
                follow.stop();
            }
            run("delete", "pod", "followed", "--server", url);
        }
    }

    @Test
    void noServerIsAClearError() {
        var r = run("get", "pods", "--server", "http://127.0.0.1:1");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(r.err()).contains("no kiln API server at").contains("kiln up");
    }
}
