package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.Resource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The cluster part of {@code kiln demo}: {@code kiln up}, {@code kiln apply -f examples/cluster/} (two microVM
 * nodes, two web pods), the pods' placement, a node's VMM killed and the cluster healing, the functions part
 * ({@link FunctionDemo}), then the resources deleted and {@code kiln down} (unless the cluster was up before the
 * demo).
 */
final class ClusterDemo {
    private static final Duration WAIT = Duration.ofMinutes(6);

    private final DaemonClient daemon;
    private final Consumer<String> step;
    private final Consumer<String> note;

    ClusterDemo(DaemonClient daemon, Consumer<String> step, Consumer<String> note) {
        this.daemon = daemon;
        this.step = step;
        this.note = note;
    }

    static Path examples() {
        return Path.of(System.getProperty("kiln.home", ".")).resolve("examples");
    }

    void run(int apiPort, int etcdPort) throws Exception {
        Path examples = examples();
        if (!Files.isDirectory(examples.resolve("cluster"))) {
            note.accept("skipping the cluster part: " + examples.resolve("cluster") + " is not here (run kiln from "
                    + "its source tree)");
            return;
        }
        step.accept("Building busybox-httpd:latest from examples/images/busybox-httpd.yaml (what the example "
                + "Deployment runs)");
        JsonNode built = daemon.buildImage(examples.resolve("images/busybox-httpd.yaml").toAbsolutePath().toString(),
                "busybox-httpd:latest");
        note.accept("built busybox-httpd:latest (" + Sizes.human(built.path("images").path(0).path("size").asLong())
                + ")");
        boolean wasMember = daemon.clusterStatus().path("member").asBoolean();
        step.accept("kiln up: etcd, the cluster API, the control plane and this host's runtime");
        ObjectNode options = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("apiPort", apiPort).put("etcdPort", etcdPort);
        JsonNode status = daemon.clusterUp(options);
        note.accept((wasMember ? "already up" : "up") + ": host " + status.path("host").asText() + ", API "
                + status.path("api").asText() + ", etcd " + status.path("etcd").path(0).asText());
        try (ClusterClient cluster = ClusterClient.connect(URI.create(status.path("api").asText()),
                ApiSecrets.token(daemon))) {
            try {
                demo(cluster, examples.resolve("cluster"));
                FunctionDemo functions = new FunctionDemo(daemon, step, note);
                functions.run(URI.create(status.path("api").asText()), examples);
                functions.functionBench(URI.create(status.path("api").asText()), examples);
            } finally {
                if (!wasMember) {
                    step.accept("Deleting the example's resources and leaving the cluster (kiln down)");
                    for (Resource r : ApplyCommand.read(List.of(examples.resolve("cluster")))) {
                        try {
                            cluster.delete(r.kind(), r.name());
                        } catch (RuntimeException gone) {
                            // already gone
                        }
                    }
                }
            }
        } finally {
            if (!wasMember) {
                daemon.clusterDown();
                note.accept("down: the nodes' microVMs are removed");
            }
        }
    }

    private void demo(ClusterClient cluster, Path manifests) throws InterruptedException {
        step.accept("kiln apply -f examples/cluster/  (NodePool 'workers': 2 microVM nodes; Deployment 'web': 2 web "
                + "server pods)");
        for (Resource r : ApplyCommand.read(List.of(manifests))) {
            note.accept(r.kind().manifestName().toLowerCase() + "/" + r.name() + " " + cluster.apply(r).action());
        }
        Instant t0 = Instant.now();
        await(cluster, "2 nodes Ready", c -> nodes(c).stream().filter(n -> n.status().phase() == NodePhase.READY)
                .count() >= 2);
        await(cluster, "2 pods Running", c -> running(c) >= 2);
        note.accept(String.format("all Running %.1f s after apply; kiln get pods -o wide:", secs(t0)));
        table(cluster);

        await(cluster, "a pre-booted microVM in the host's warm pool", c -> daemon.listVms().stream()
                .anyMatch(v -> v.path("name").asText().startsWith("kw-") && v.path("ready").asBoolean()));
        note.accept("the host keeps a pre-booted microVM of the pool's profile ready (its warm pool): "
                + daemon.listVms().stream().map(v -> v.path("name").asText()).filter(n -> n.startsWith("kw-"))
                .findFirst().orElse("?"));
        Node victim = nodes(cluster).stream().filter(n -> n.status().phase() == NodePhase.READY).findFirst()
                .orElseThrow();
        long pid = daemon.vm(victim.status().vm().orElseThrow()).path("pid").asLong();
        step.accept("Self-healing: kill -9 the VMM of node " + victim.name() + " (pid " + pid + ")");
        Instant k = Instant.now();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        await(cluster, "node " + victim.name() + " Lost", c -> nodes(c).stream()
                .noneMatch(n -> n.name().equals(victim.name()) && n.status().phase() != NodePhase.LOST));
        note.accept(String.format("node %s is Lost after %.1f s (the VMM's exit is the signal)", victim.name(),
                secs(k)));
        await(cluster, "a replacement node Ready", c -> nodes(c).stream()
                .filter(n -> n.status().phase() == NodePhase.READY).count() >= 2);
        String replacementVm = nodes(cluster).stream().filter(n -> !n.name().equals(victim.name()))
                .map(n -> n.status().vm().orElse("")).filter(v -> v.startsWith("kw-")).findFirst().orElse("");
        note.accept(String.format("the pool's replacement node is Ready after %.1f s%s", secs(k),
                replacementVm.isEmpty() ? " (it booted a new microVM)"
                        : " (it took the pre-booted " + replacementVm + " from the warm pool)"));
        await(cluster, "2 pods Running again", c -> running(c) >= 2 && pods(c).stream()
                .noneMatch(p -> p.spec().nodeName().filter(victim.name()::equals).isPresent()));
        long nodesUsed = pods(cluster).stream().map(p -> p.spec().nodeName().orElse("")).distinct().count();
        note.accept(String.format("both pods Running again after %.1f s%s:", secs(k), nodesUsed == 1
                ? " (on one node: each pod has an address of its own, so both listen on port 8080 there)" : ""));
        table(cluster);
    }

    static double secs(Instant since) {
        return Duration.between(since, Instant.now()).toMillis() / 1000.0;
    }

    static List<Node> nodes(ClusterClient c) {
        return c.list(Kind.NODE, Map.of()).stream().map(Node.class::cast).toList();
    }

    /** The example deployment's pods ({@code app=web}). */
    static List<Pod> pods(ClusterClient c) {
        return c.list(Kind.POD, Map.of("app", "web")).stream().map(Pod.class::cast).toList();
    }

    static long running(ClusterClient c) {
        return pods(c).stream().filter(p -> p.status().phase() == PodPhase.RUNNING).count();
    }

    private void table(ClusterClient cluster) {
        table(cluster, note);
    }

    /** {@code kiln get pods -o wide} of the example's pods, one line per note. */
    static void table(ClusterClient cluster, Consumer<String> note) {
        Map<String, Node> byName = new HashMap<>();
        nodes(cluster).forEach(n -> byName.put(n.name(), n));
        List<Resource> pods = List.copyOf(pods(cluster));
        ClusterTables.render(Kind.POD, pods, true, byName, Instant.now()).lines().forEach(l -> note.accept("  " + l));
    }

    private void await(ClusterClient cluster, String what, Predicate<ClusterClient> done) throws InterruptedException {
        await(cluster, what, done, note);
    }

    /**
     * Waits until {@code done} holds (at most {@link #WAIT}), noting every 15 s what it waits for. A failed question
     * (the API or etcd busy for a moment) is asked again.
     */
    static void await(ClusterClient cluster, String what, Predicate<ClusterClient> done, Consumer<String> note)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        Instant nextNote = Instant.now().plusSeconds(15);
        while (true) {
            try {
                if (done.test(cluster)) {
                    return;
                }
            } catch (RuntimeException e) {
                // asked again below
            }
            if (Instant.now().isAfter(deadline)) {
                throw new CliException("TIMEOUT", "the cluster did not reach '" + what + "' within "
                        + WAIT.toMinutes() + " minutes", "see kiln get nodes, kiln get pods and kiln get events",
                        ExitCodes.TIMEOUT);
            }
            if (Instant.now().isAfter(nextNote)) {
                note.accept("waiting for " + what + " ...");
                nextNote = Instant.now().plusSeconds(15);
            }
            Thread.sleep(250);
        }
    }
}
