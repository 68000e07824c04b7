package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.EtcdTls;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * {@code kiln demo --hosts N}: one cluster over N hosts made on this machine by {@code scripts/test-hosts.sh}
 * (network namespaces, a 3-member etcd cluster, a daemon per host). It shows how each host got its guest image (built
 * on h1, copied from there by the others, one of which has no kernel), applies the example pool (one node per host)
 * and deployment, shows where each pod runs and its cluster-wide address, fetches a page from a pod on another host
 * across the overlay, kills the control-plane leader's daemon (another host leads), crashes a host (its pods run
 * again on the others) and removes the test hosts again.
 */
final class MultiHostDemo {
    static final Path ROOT = Path.of("/var/lib/kiln-testhosts");

    private final int hosts;
    private final Consumer<String> step;
    private final Consumer<String> note;
    private final Path project = Path.of(System.getProperty("kiln.home", ".")).toAbsolutePath();

    MultiHostDemo(int hosts, Consumer<String> step, Consumer<String> note) {
        this.hosts = hosts;
        this.step = step;
        this.note = note;
    }

    /** The cluster's API token, as h1 wrote it to its state directory (every host has the same one). */
    static dev.kiln.cluster.api.ApiToken token() {
        return ApiSecrets.token(ROOT.resolve("h1"));
    }

    private static Path socket(int i) {
        return ROOT.resolve("h" + i).resolve("kiln.sock");
    }

    private static String address(int i) {
        return "172.30.0." + (10 + i);
    }

    void run() throws Exception {
        Path script = project.resolve("scripts/test-hosts.sh");
        if (!Files.isExecutable(script)) {
            throw new CliException("NOT_FOUND", "the multi-host demo needs " + script,
                    "run kiln from its source tree (./kiln demo --hosts 3)", ExitCodes.USAGE);
        }
        step.accept("Making " + hosts + " hosts on this machine (scripts/test-hosts.sh up " + hosts + "): network "
                + "namespaces joined by veth links, a 3-member etcd cluster, a kiln daemon per host");
        script(script, Duration.ofMinutes(10), "up", Integer.toString(hosts));
        try {
            guestImages();
            etcdForKilnOnly();
            demo();
        } finally {
            step.accept("Removing the test hosts (scripts/test-hosts.sh down)");
            script(script, Duration.ofMinutes(2), "down");
            note.accept("removed: namespaces, links, etcd members, daemons and their VMs");
        }
    }

    /**
     * How each host came by its guest image, from the daemons' logs: h1 builds it, the others (caches of their own)
     * copy it from a host that has it, and the last one, with no kernel in its /boot, copies one it can run.
     */
    private void guestImages() throws IOException {
        for (int i = 1; i <= hosts; i++) {
            Path log = ROOT.resolve("h" + i).resolve("daemon.log");
            List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains("guest image: ")).map(l -> l.substring(l.indexOf("guest image: ") + 13))
                    .toList() : List.of();
            Optional<String> how = lines.stream().filter(l -> l.startsWith("Built guest image")
                    || l.startsWith("Pulled guest image") || l.startsWith("Using cached guest image")).findFirst();
            boolean noKernel = lines.stream().anyMatch(l -> l.startsWith("This host cannot build a guest image"));
            note.accept("h" + i + (noKernel ? " (no kernel in its /boot)" : "") + ": "
                    + how.orElse("(its log does not say how it got its guest image)"));
        }
    }

    /**
     * The cluster's etcd speaks TLS and lets in only holders of kiln's client certificate: asked without one (as
     * anything on the hosts' network could), it refuses at the handshake; with it, it answers.
     */
    private void etcdForKilnOnly() throws Exception {
        Path pki = ROOT.resolve("etcd-pki");
        URI etcd = URI.create("https://172.30.0.1:23791/version");
        EtcdTls kiln = new EtcdTls(pki.resolve("ca.crt").toString(),
                pki.resolve("client.crt").toString(), pki.resolve("client.key").toString());
        EtcdTls anyone = new EtcdTls(kiln.caFile(), null, null);
        String refused;
        try (HttpClient http = HttpClient.newBuilder().sslContext(anyone.sslContext())
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            http.send(HttpRequest.newBuilder(etcd).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            refused = "ANSWERED (it should not have)";
        } catch (IOException e) {
            refused = "refused (" + e.getClass().getSimpleName() + ")";
        }
        String answered;
        try (HttpClient http = HttpClient.newBuilder().sslContext(kiln.sslContext())
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            answered = http.send(HttpRequest.newBuilder(etcd).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body().trim();
        }
        note.accept("etcd (TLS, certificates from 'kiln etcd-certs' in " + pki + "): GET " + etcd + " without "
                + "kiln's client certificate: " + refused + "; with it: " + answered);
    }

    private void demo() throws Exception {
        JsonNode built = new DaemonClient(socket(1)).buildImage(project.resolve("examples/images/busybox-httpd.yaml")
                .toString(), "busybox-httpd:latest");
        note.accept("h1: built busybox-httpd:latest (" + Sizes.human(built.path("images").path(0).path("size")
                .asLong()) + "); the other hosts will pull it from h1 when a pod needs it");
        ClusterClient cluster = ClusterClient.connect(URI.create("http://" + address(1) + ":7070"), token());
        ClusterClient other = null;
        try {
            await(cluster, hosts + " hosts Ready", c -> hosts(c).stream()
                    .filter(h -> h.status().phase() == HostPhase.READY).count() == hosts);
            String leader = leader(1);
            note.accept("hosts: " + String.join(", ", hosts(cluster).stream().map(h -> h.name() + " ("
                    + h.spec().address() + ", VMs on " + h.spec().subnet() + ")").toList()) + "; " + leader
                    + " leads the control plane, the others stand by");

            step.accept("kiln apply -f examples/cluster/ --server http://" + address(1) + ":7070  (the pool scaled "
                    + "to " + hosts + " nodes, one per host)");
            for (Resource r : ApplyCommand.read(List.of(project.resolve("examples/cluster")))) {
                if (r instanceof NodePool p) {
                    r = p.withSpec(p.spec().withReplicas(hosts));
                }
                note.accept(r.kind().manifestName().toLowerCase() + "/" + r.name() + " " + cluster.apply(r).action());
            }
            Instant t0 = Instant.now();
            await(cluster, hosts + " nodes Ready", c -> nodes(c).stream()
                    .filter(n -> n.status().phase() == NodePhase.READY).count() == hosts);
            await(cluster, "2 pods Running", c -> running(c) >= 2);
            note.accept(String.format("all Running %.1f s after apply; each pod has its host's slice of 10.90/16:",
                    secs(t0)));
            table(cluster);
            for (int i = 2; i <= hosts; i++) {
                boolean pulled = new DaemonClient(socket(i)).listImages().stream()
                        .anyMatch(img -> img.path("references").toString().contains("busybox-httpd:latest"));
                if (pulled) {
                    note.accept("h" + i + " pulled busybox-httpd:latest from h1 across the overlay");
                }
            }

            List<Pod> pods = pods(cluster);
            Pod target = pods.get(1);
            Node from = nodes(cluster).stream().filter(n -> !n.name().equals(target.spec().nodeName().orElse("")))
                    .filter(n -> !n.spec().host().equals(hostOf(cluster, target))).findFirst().orElseThrow();
            int fromHost = Integer.parseInt(from.spec().host().orElseThrow().substring(1));
            step.accept("Pod to pod across hosts: node " + from.name() + " on " + from.spec().host().orElseThrow()
                    + " fetches a page from " + target.name() + " (" + target.status().podIP().orElse("?") + ") on "
                    + hostOf(cluster, target).orElse("?") + ", through the VXLAN overlay");
            ExecResult r = new DaemonClient(socket(fromHost)).exec(from.status().vm().orElseThrow(),
                    "timeout 10 wget -q -O - http://" + target.status().podIP().orElseThrow() + ":8080/",
                    Duration.ofSeconds(30));
            note.accept("-> " + r.output().strip());

            int leaderIndex = Integer.parseInt(leader.substring(1));
            int otherIndex = leaderIndex == 1 ? 2 : 1;
            long pid = Long.parseLong(Files.readString(ROOT.resolve(leader).resolve("daemon.pid")).trim());
            step.accept("Control-plane failover: kill -9 the leader's daemon (" + leader + ", pid " + pid + ")");
            Instant k = Instant.now();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            String next = leader;
            while (next.equals(leader) || next.isEmpty()) {
                if (Duration.between(k, Instant.now()).compareTo(Duration.ofSeconds(60)) > 0) {
                    throw new CliException("TIMEOUT", "no other host took the lead within 60 s",
                            "see " + ROOT + "/h*/daemon.log", ExitCodes.TIMEOUT);
                }
                Thread.sleep(200);
                next = leader(otherIndex);
            }
            note.accept(String.format("%s leads after %.1f s (the old leader's lease ran out)", next, secs(k)));
            // from now on ask the new leader's API: the host crashed next is never the leader
            other = ClusterClient.connect(URI.create("http://" + address(Integer.parseInt(next.substring(1)))
                    + ":7070"), token());
            final ClusterClient api = other;
            script(project.resolve("scripts/test-hosts.sh"), Duration.ofMinutes(4), "start", leader);
            note.accept(leader + "'s daemon started again: it rejoins as a standby, its VMs re-adopted");

            String current = next;
            String victim = nodes(api).stream().map(n -> n.spec().host().orElse(""))
                    .filter(h -> !h.isEmpty() && !h.equals(current) && !h.equals(leader)).findFirst().orElseThrow();
            List<String> moved = pods(api).stream().filter(p -> hostOf(api, p).equals(Optional.of(victim)))
                    .map(Pod::name).toList();
            step.accept("Host failure: kill -9 " + victim + "'s daemon and VMMs (scripts/test-hosts.sh kill "
                    + victim + ")");
            Instant c0 = Instant.now();
            script(project.resolve("scripts/test-hosts.sh"), Duration.ofMinutes(1), "kill", victim);
            await(api, victim + " Lost", c -> hosts(c).stream()
                    .anyMatch(h -> h.name().equals(victim) && h.status().phase() == HostPhase.LOST));
            note.accept(String.format("%s is Lost after %.1f s (no heartbeat for 30 s); its nodes are recreated on "
                    + "the other hosts", victim, secs(c0)));
            await(api, "every pod Running on the other hosts", c -> running(c) >= 2 && pods(c).stream()
                    .noneMatch(p -> hostOf(c, p).equals(Optional.of(victim))));
            note.accept(String.format("%d pod(s) of %s Running elsewhere after %.1f s:", moved.size(), victim,
                    secs(c0)));
            table(api);
        } finally {
            cluster.close();
            if (other != null) {
                other.close();
            }
        }
    }

    /** The leader as host {@code i}'s daemon sees it ("" while none). */
    private static String leader(int i) {
        try {
            return new DaemonClient(socket(i)).clusterStatus().path("status").path("leader").asText("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void script(Path script, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TEST_HOSTS_ROOT", ROOT.toString());
        pb.environment().put("TEST_HOSTS_DAEMON_ARGS", "--warm-pool 0 --boot-timeout 300s");
        // h1 builds the guest image; the others have caches of their own and copy it, the last one with no kernel
        pb.environment().put("TEST_HOSTS_OWN_CACHES", "1");
        pb.environment().put("TEST_HOSTS_NO_KERNEL", Integer.toString(hosts));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
        }
        if (p.exitValue() != 0) {
            throw new CliException("HOST_ERROR", "scripts/test-hosts.sh " + String.join(" ", args) + " failed:\n"
                    + new String(out, StandardCharsets.UTF_8).strip(), "see " + ROOT + " for the logs",
                    ExitCodes.FAILURE);
        }
    }

    private static List<Host> hosts(ClusterClient c) {
        return c.list(Kind.HOST, Map.of()).stream().map(Host.class::cast).toList();
    }

    private static Optional<String> hostOf(ClusterClient c, Pod p) {
        String node = p.spec().nodeName().orElse("");
        return nodes(c).stream().filter(n -> n.name().equals(node)).findFirst().flatMap(n -> n.spec().host());
    }

    private static double secs(Instant since) {
        return ClusterDemo.secs(since);
    }

    private static List<Node> nodes(ClusterClient c) {
        return ClusterDemo.nodes(c);
    }

    private static List<Pod> pods(ClusterClient c) {
        return ClusterDemo.pods(c);
    }

    private static long running(ClusterClient c) {
        return ClusterDemo.running(c);
    }

    private void table(ClusterClient cluster) {
        ClusterDemo.table(cluster, note);
    }

    private void await(ClusterClient cluster, String what, Predicate<ClusterClient> done) throws InterruptedException {
        ClusterDemo.await(cluster, what, done, note);
    }
}
