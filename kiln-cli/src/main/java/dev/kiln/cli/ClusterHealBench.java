package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.Resource;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench cluster-heal}: how long the cluster takes to get a killed node's pods running again, split into
 * detection, rescheduling and container start, with the real QEMU driver. The anchor is Kubernetes' defaults.
 */
@Command(name = "cluster-heal", sortOptions = false, usageHelpAutoWidth = true,
        header = "Time from a node's VMM killed to its pods Running elsewhere.",
        descriptionHeading = "%nDescription:%n",
        description = {"Joins the cluster (kiln up) unless this daemon is in it, applies a pool of 3 microVM nodes and a "
                + "deployment of 4 pods that listen on no port, then, per run, kills -9 the VMM of the node with the "
                + "most pods and times, polling the cluster API every 50 ms: detection (the node is Lost), "
                + "rescheduling (its pods are bound to other nodes), pods Running again, and the pool's replacement "
                + "node Ready. Reports each run and the medians, beside Kubernetes' defaults as the anchor (a node is "
                + "unhealthy after a 40 s grace period; its pods are evicted after 5 minutes more). Removes what it "
                + "applied at the end, leaves the cluster if it joined it, and stops a daemon it started."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln bench cluster-heal", "  kiln bench cluster-heal --runs 5 --json"})
public final class ClusterHealBench extends KilnSubcommand {
    private static final Duration WAIT = Duration.ofMinutes(8);
    private static final double K8S_DETECT_MS = 40_000;
    private static final double K8S_EVICT_MS = 40_000 + 300_000;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Node kills. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--json", description = "Print the results as JSON. Default: text.")
    boolean json;

    record Run(long detectMs, long rescheduleMs, long runningMs, long replacedMs, int pods) {
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1) throw new CliException("BAD_REQUEST", "--runs must be at least 1", "", ExitCodes.USAGE);
        boolean started = DaemonLauncher.ensureRunning(root().socket(), root().stateDir(), System.err);
        DaemonClient daemon = client();
        progress("building the image the pods run (examples/images/busybox-httpd.yaml)");
        daemon.buildImage(ClusterDemo.examples().resolve("images/busybox-httpd.yaml").toAbsolutePath().toString(),
                "busybox-httpd:latest");
        boolean wasMember = daemon.clusterStatus().path("member").asBoolean();
        JsonNode status = daemon.clusterUp(JsonNodeFactory.instance.objectNode());
        List<Resource> manifests = Manifests.read(MANIFESTS, "bench");
        List<Run> results = new ArrayList<>();
        try (ClusterClient cluster = ClusterClient.connect(URI.create(status.path("api").asText()),
                ApiSecrets.token(daemon))) {
            try {
                manifests.forEach(cluster::apply);
                progress("waiting for 3 nodes Ready and 4 pods Running");
                await(() -> steady(cluster));
                for (int i = 1; i <= runs; i++) {
                    Run r = once(cluster, daemon);
                    results.add(r);
                    progress("run %d: %d pods; Lost %d ms, rescheduled %d ms, Running %d ms, replacement Ready %d ms",
                            i, r.pods(), r.detectMs(), r.rescheduleMs(), r.runningMs(), r.replacedMs());
                    await(() -> steady(cluster));
                }
            } finally {
                for (Resource r : manifests) {
                    try {
                        cluster.delete(r.kind(), r.name());
                    } catch (RuntimeException gone) {
                        // already gone
                    }
                }
            }
        } finally {
            if (!wasMember) daemon.clusterDown();
            if (started) daemon.shutdownAndCleanUp();
        }
        report(results);
        return ExitCodes.OK;
    }

    private static final String MANIFESTS = """
            apiVersion: kiln.dev/v1
            kind: NodePool
            metadata: {name: bench-heal}
            spec:
              replicas: 3
              profile: {cpus: 1, memory: 384Mi}
            ---
            apiVersion: kiln.dev/v1
            kind: Deployment
            metadata: {name: bench-heal}
            spec:
              replicas: 4
              selector: {matchLabels: {app: bench-heal}}
              template:
                metadata: {labels: {app: bench-heal}}
                spec:
                  nodeSelector: {kiln.dev/pool: bench-heal}
                  containers:
                    - name: main
                      image: busybox-httpd:latest
                      command: [/bin/busybox, sh, -c, "while true; do /bin/busybox sleep 2; done"]
                      resources: {requests: {cpu: 50m, memory: 16Mi}}
            """;

    private static List<Node> nodes(ClusterClient c) {
        return c.list(Kind.NODE, Map.of("kiln.dev/pool", "bench-heal")).stream().map(Node.class::cast).toList();
    }

    private static List<Pod> pods(ClusterClient c) {
        return c.list(Kind.POD, Map.of("app", "bench-heal")).stream().map(Pod.class::cast).toList();
    }

    private static boolean steady(ClusterClient c) {
        return nodes(c).stream().filter(n -> n.status().phase() == NodePhase.READY).count() == 3
                && nodes(c).size() == 3
                && pods(c).stream().filter(p -> p.status().phase() == PodPhase.RUNNING).count() == 4;
    }

    private Run once(ClusterClient cluster, DaemonClient daemon) throws InterruptedException {
        List<Pod> pods = pods(cluster);
        Node victim = nodes(cluster).stream().max(Comparator.comparingLong((Node n) -> pods.stream()
                .filter(p -> p.spec().nodeName().filter(n.name()::equals).isPresent()).count())).orElseThrow();
        List<String> moved = pods.stream().filter(p -> p.spec().nodeName().filter(victim.name()::equals).isPresent())
                .map(Pod::name).toList();
        long pid = daemon.vm(victim.status().vm().orElseThrow()).path("pid").asLong();
        long t0 = System.nanoTime();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long detect = -1;
        long resched = -1;
        long running = -1;
        long replaced = -1;
        while (replaced < 0 || running < 0) {
            long now = (System.nanoTime() - t0) / 1_000_000;
            if (now > WAIT.toMillis()) {
                throw new CliException("TIMEOUT", "the cluster did not heal within " + WAIT.toMinutes() + " minutes",
                        "see kiln get nodes, kiln get pods, kiln get events", ExitCodes.TIMEOUT);
            }
            List<Node> ns = nodes(cluster);
            List<Pod> ps = pods(cluster).stream().filter(p -> moved.contains(p.name())).toList();
            if (detect < 0 && ns.stream().noneMatch(n -> n.name().equals(victim.name())
                    && n.status().phase() != NodePhase.LOST)) detect = now;
            if (resched < 0 && ps.size() == moved.size() && ps.stream().allMatch(p -> p.spec().nodeName()
                    .filter(n -> !n.equals(victim.name())).isPresent())) resched = now;
            if (resched >= 0 && running < 0 && ps.stream().allMatch(p -> p.status().phase() == PodPhase.RUNNING)) {
                running = now;
            }
            if (detect >= 0 && replaced < 0 && ns.size() == 3 && ns.stream().noneMatch(n -> n.name().equals(victim.name()))
                    && ns.stream().allMatch(n -> n.status().phase() == NodePhase.READY)) replaced = now;
            Thread.sleep(50);
        }
        return new Run(detect, resched, running, replaced, moved.size());
    }

    private static void await(Supplier<Boolean> done) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                throw new CliException("TIMEOUT", "the benchmark's nodes and pods did not come up within "
                        + WAIT.toMinutes() + " minutes", "see kiln get nodes, kiln get pods, kiln get events",
                        ExitCodes.TIMEOUT);
            }
            Thread.sleep(250);
        }
    }

    private void report(List<Run> results) {
        long detect = ContainerBench.medianL(results.stream().map(Run::detectMs).toList());
        long resched = ContainerBench.medianL(results.stream().map(Run::rescheduleMs).toList());
        long running = ContainerBench.medianL(results.stream().map(Run::runningMs).toList());
        long replaced = ContainerBench.medianL(results.stream().map(Run::replacedMs).toList());
        if (json) {
            ObjectNode out = root().json().createObjectNode();
            out.put("runs", results.size()).put("detectMedianMs", detect).put("rescheduleMedianMs", resched)
                    .put("runningMedianMs", running).put("replacementReadyMedianMs", replaced)
                    .put("kubernetesDetectMs", (long) K8S_DETECT_MS).put("kubernetesEvictMs", (long) K8S_EVICT_MS);
            var all = out.putArray("each");
            results.forEach(r -> all.addObject().put("pods", r.pods()).put("detectMs", r.detectMs())
                    .put("rescheduleMs", r.rescheduleMs()).put("runningMs", r.runningMs())
                    .put("replacementReadyMs", r.replacedMs()));
            printJson(out);
            return;
        }
        out().printf("cluster-heal, %d runs (medians, ms from kill -9 of a node's VMM):%n", results.size());
        out().printf("  node Lost (detection)      %6d   Kubernetes default: %6.0f (node-monitor grace period)%n",
                detect, K8S_DETECT_MS);
        out().printf("  pods bound elsewhere       %6d   Kubernetes default: %6.0f (+5 min eviction timeout)%n",
                resched, K8S_EVICT_MS);
        out().printf("  pods Running again         %6d   (rescheduling to container start: %d)%n", running,
                running - resched);
        out().printf("  replacement node Ready     %6d%n", replaced);
        out().printf("  kiln's pods run again in %.4f of the time Kubernetes' defaults take to start moving them%n",
                running / K8S_EVICT_MS);
        out().flush();
    }

    private void progress(String format, Object... args) {
        if (!json) {
            System.err.printf(format + "%n", args);
            System.err.flush();
        }
    }
}
