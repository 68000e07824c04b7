package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.guest.GuestProtocol;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln demo}: kiln's main job, narrated. Grows with every capability. */
@Command(name = "demo", sortOptions = false, usageHelpAutoWidth = true,
        header = "Show what kiln does, step by step, on real microVMs.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Starts a daemon if none runs (building kiln's guest image on first use, with progress shown), boots two "
                    + "microVMs, shows the host reaching a guest's TCP port, the guests reaching each other and the "
                    + "host, pauses one (its clock stops and it stops answering) and resumes it, builds a tiny web "
                    + "server image without Docker and runs it as a container under runc inside a VM, reached through "
                    + "a host port forward. Then the cluster: 'kiln up' (etcd, the cluster API, the control plane), "
                    + "'kiln apply -f examples/cluster/' (a pool of two microVM nodes and a two-pod web deployment), "
                    + "where each pod runs, and self-healing: one node's VMM is killed, the node is Lost at once, the pool "
                    + "boots a replacement and the pod runs again. Functions: the example Python and Java functions "
                    + "created through kiln's Lambda-compatible API, invoked cold (a slot microVM starts) and warm "
                    + "(the same slot), an exception returned as Lambda's function error, a cold start cloned from a "
                    + "snapshot; then a short FunctionBench pass (three workloads cold and warm, beside their native "
                    + "time on the host, with an HTML report; 'kiln bench functionbench' runs all 20). Last, one "
                    + "cluster over "
                    + "three hosts on this machine "
                    + "(network namespaces, a 3-member etcd cluster, a daemon each): pods across hosts, a page fetched "
                    + "across the VXLAN overlay, the control-plane leader's daemon killed, a host crashed. Then it "
                    + "removes everything. A daemon the demo started is "
                    + "stopped at the end; one that was running is left running. Nothing is left behind."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln demo", "  kiln demo --keep        leave the two VMs running at the end",
            "  kiln demo --hosts 0     skip the last part (one cluster over three hosts in network namespaces)",
            "  kiln demo --no-cluster  stop after the container part"})
public final class DemoCommand extends KilnSubcommand {
    private static final List<String> NAMES = List.of("demo-a", "demo-b");
    private static final String DEMO_IMAGE = "kiln-demo/httpd:1";
    private static final String DEMO_CONTAINER = "demo-web";

    @Option(names = "--keep", description = "Leave the demo's VMs running at the end (remove them with 'kiln vm rm -f').")
    boolean keep;

    @Option(names = "--no-cluster",
            description = "Skip the cluster part (kiln up, two microVM nodes, two web pods, a node killed and "
                    + "replaced). Default: run it.")
    boolean noCluster;

    @Option(names = "--hosts", paramLabel = "N", defaultValue = "3",
            description = "The last part: one cluster over N (3..9) hosts made on this machine by "
                    + "scripts/test-hosts.sh: the guest image built on one host and copied by the others (the "
                    + "last one has no kernel in its /boot), pods spread over the hosts, pod-to-pod traffic across "
                    + "the overlay, the "
                    + "control-plane leader killed, a host crashed; all removed at the end. 0 skips it. "
                    + "Default: ${DEFAULT-VALUE}.")
    int hosts;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M",
            description = "Memory of each demo VM. Default: ${DEFAULT-VALUE}.")
    String memory;

    private PrintStream say;
    private long t0;

    @Override
    public Integer call() throws Exception {
        say = System.out;
        t0 = System.nanoTime();
        if (hosts != 0 && (hosts < 3 || hosts > 9)) {
            throw new CliException("USAGE", "--hosts takes 3 to 9 (or 0 to skip the part), not " + hosts,
                    "e.g. kiln demo --hosts 3", ExitCodes.USAGE);
        }
        step("Making sure a kiln daemon runs on " + root().socket());
        boolean started = DaemonLauncher.ensureRunning(root().socket(), root().stateDir(), System.err);
        DaemonClient client = client();
        Health h = client.health();
        note((started ? "started a daemon" : "a daemon was already running") + " (pid " + h.pid() + "), driver "
                + h.driver() + ", accelerator " + h.accelerator());
        note("why: " + client.healthJson().path("driverReason").asText(h.acceleratorReason()));
        note("accelerator: " + h.acceleratorReason());
        try {
            for (String n : NAMES) {
                if (client.listVms().stream().anyMatch(v -> v.path("name").asText().equals(n))) {
                    note("removing " + n + " left by an earlier demo");
                    client.remove(n, true);
                }
            }
            step("Booting two microVMs (QEMU microvm" + ("tcg".equals(h.accelerator()) ? ", software emulation: a few seconds each" : "") + ")");
            JsonNode a = boot(client, NAMES.get(0));
            JsonNode b = boot(client, NAMES.get(1));
            String ipA = a.path("ip").asText();
            String ipB = b.path("ip").asText();
            String gw = a.path("gateway").asText();

            step("The host reaches a guest's TCP port (" + ipA + ":" + GuestProtocol.CONTROL_PORT + ")");
            note("GET " + GuestProtocol.HEALTH_PATH + " -> " + guestHealth(ipA));

            step("The guests reach each other and the host");
            show(client, NAMES.get(0), "ping -c 1 -W 5 " + ipB + " | head -2 | tail -1");
            show(client, NAMES.get(0), "mkdir -p /tmp/site && echo served-by-" + NAMES.get(0)
                    + " > /tmp/site/index.html && httpd -p 8000 -h /tmp/site && echo httpd started on port 8000");
            show(client, NAMES.get(1), "timeout 5 wget -q -O - http://" + ipA + ":8000/");
            show(client, NAMES.get(1), "ping -c 1 -W 5 " + gw + " | head -2 | tail -1");
            step("But a guest cannot reach another guest's control endpoint or agent (the bridge drops it)");
            show(client, NAMES.get(1), "timeout 3 wget -q -O - http://" + ipA + ":" + GuestProtocol.CONTROL_PORT
                    + GuestProtocol.HEALTH_PATH + " >/dev/null 2>&1 && echo reachable || echo 'no answer within 3 s'");

            step("Pausing " + NAMES.get(1) + ": its vCPUs stop, so it stops answering and its clock stops");
            double before = uptime(ipB);
            client.pause(NAMES.get(1));
            note("phase: " + client.vm(NAMES.get(1)).path("phase").asText() + "; TCP to " + ipB + " answers: " + reachable(ipB));
            Thread.sleep(3000);
            client.resume(NAMES.get(1));
            double after = uptime(ipB);
            note("resumed; phase: " + client.vm(NAMES.get(1)).path("phase").asText() + "; guest uptime moved "
                    + String.format("%.1f s", after - before) + " across a 3 s pause");

            step("Inspecting " + NAMES.get(0));
            JsonNode v = client.vm(NAMES.get(0));
            note("driver " + v.path("driver").asText() + "/" + v.path("accelerator").asText() + ", pid " + v.path("pid").asText()
                    + ", tap " + v.path("tap").asText() + " on " + v.path("bridge").asText() + ", mac " + v.path("mac").asText());
            note("console log " + v.path("files").path("console").asText());

            container(client, NAMES.get(0));

            if (!noCluster) {
                new ClusterDemo(client, this::step, this::note).run(freePort(7070), freePort(2479));
            }

            if (keep) {
                step("Leaving both VMs running (--keep); remove them with: kiln vm rm -f " + String.join(" ", NAMES));
                return 0;
            }
            step("Stopping " + NAMES.get(0) + " gracefully (ACPI power button) and removing both VMs");
            JsonNode stopped = client.stop(NAMES.get(0), Duration.ofSeconds(30));
            note(NAMES.get(0) + ": " + stopped.path("phase").asText() + " (" + stopped.path("cause").asText() + ")");
            for (String n : NAMES) client.remove(n, true);
            note("removed; VMs left: " + client.listVms().size());
            if (!noCluster && hosts > 0) {
                new MultiHostDemo(hosts, this::step, this::note).run();
            }
        } finally {
            if (started && !keep) {
                step("Stopping the daemon the demo started (pid " + h.pid() + ") and removing kiln's bridge and nftables table");
                client.shutdownAndCleanUp();
            }
        }
        step(String.format("Done in %.1f s", (System.nanoTime() - t0) / 1e9));
        return 0;
    }

    /**
     * Builds a tiny web-server image from the host's busybox (no Docker, no registry), runs it as a container under
     * runc in {@code vm}, reaches it through a host port forward, runs a command in it, and removes it.
     */
    private void container(DaemonClient client, String vm) throws IOException, InterruptedException {
        step("Building a container image without Docker: busybox httpd, from a 'scratch' build spec");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("kiln-demo-image-");
        try {
            java.nio.file.Files.writeString(dir.resolve("index.html"), "<h1>Hello from a container in a kiln microVM</h1>\n");
            java.nio.file.Files.writeString(dir.resolve("httpd.yaml"), """
                    suite: scratch
                    files:
                      - {source: /bin/busybox, target: /bin/busybox, mode: "0755"}
                      - {source: index.html, target: /www/index.html, mode: "0644"}
                    links:
                      - {target: /bin/sh, to: busybox}
                      - {target: /bin/ls, to: busybox}
                      - {target: /bin/cat, to: busybox}
                    env: {PATH: /bin}
                    entrypoint: [/bin/busybox, httpd, -f, -p, "8080", -h, /www]
                    """);
            JsonNode built = client.buildImage(dir.resolve("httpd.yaml").toString(), DEMO_IMAGE);
            JsonNode img = built.path("images").path(0);
            note("built " + DEMO_IMAGE + ": " + Sizes.human(img.path("size").asLong()) + ", digest "
                    + img.path("digest").asText().substring(0, 19) + "...");
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.deleteIfExists(f);
                }
            }
        }
        int port = freePort(8080);
        step("Running it in " + vm + " as a container under runc, host port " + port + " -> container port 8080");
        note("the guest agent pulls the image from the daemon's registry on the bridge and checks every digest");
        if (client.listContainers().stream().anyMatch(c -> c.path("name").asText().equals(DEMO_CONTAINER))) {
            client.removeContainer(DEMO_CONTAINER, true);
        }
        ObjectNode req = root().json().createObjectNode().put("image", DEMO_IMAGE).put("name", DEMO_CONTAINER).put("vm", vm);
        req.putArray("ports").add(port + ":8080");
        long start = System.nanoTime();
        JsonNode c = client.runContainer(req, Duration.ofMinutes(5));
        note(String.format("%s: %s in %s (%s) after %.1f s", DEMO_CONTAINER, c.path("state").asText(), c.path("vm").asText(),
                c.path("vmIp").asText(), (System.nanoTime() - start) / 1e9));
        try {
            String body = "";
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                for (int i = 0; i < 50 && body.isEmpty(); i++) {
                    try {
                        body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body().strip();
                    } catch (IOException notYet) {
                        Thread.sleep(200);
                    }
                }
            }
            note("GET http://127.0.0.1:" + port + "/ -> " + body);
            ObjectNode exec = root().json().createObjectNode();
            exec.putArray("args").add("ls").add("-l").add("/www");
            JsonNode r = client.execContainer(DEMO_CONTAINER, exec, Duration.ofSeconds(30));
            note("kiln exec " + DEMO_CONTAINER + " -- ls -l /www  (exit " + r.path("exitCode").asInt() + ")");
            r.path("stdout").asText().lines().forEach(l -> note("    " + l));
        } finally {
            client.removeContainer(DEMO_CONTAINER, true);
            note("removed " + DEMO_CONTAINER + "; its port forward is closed");
        }
    }

    /** {@code preferred} when nothing listens on it, else a free port the kernel picks. */
    private static int freePort(int preferred) throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(preferred)) {
            return s.getLocalPort();
        } catch (IOException taken) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                return s.getLocalPort();
            }
        }
    }

    private JsonNode boot(DaemonClient client, String name) {
        ObjectNode req = root().json().createObjectNode();
        req.put("name", name);
        req.put("memory", memory);
        long start = System.nanoTime();
        JsonNode vm = client.createVm(req, true, Duration.ofSeconds(180));
        note(String.format("%s: %s at %s, ready in %.1f s (pid %s, tap %s)", name, vm.path("phase").asText(),
                vm.path("ip").asText(), (System.nanoTime() - start) / 1e9, vm.path("pid").asText(), vm.path("tap").asText()));
        return vm;
    }

    private void show(DaemonClient client, String vm, String command) {
        ExecResult r = client.exec(vm, command, Duration.ofSeconds(30));
        note(vm + "$ " + command);
        r.output().lines().forEach(l -> note("    " + l));
        if (r.exitCode() != 0) {
            throw new CliException("DEMO_FAILED", "'" + command + "' in " + vm + " exited with " + r.exitCode(),
                    "see 'kiln vm logs " + vm + "'", ExitCodes.FAILURE);
        }
    }

    private static String guestHealth(String ip) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + GuestProtocol.CONTROL_PORT
                    + GuestProtocol.HEALTH_PATH)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().strip();
        }
    }

    private double uptime(String ip) throws IOException, InterruptedException {
        String body = guestHealth(ip);
        return root().json().readTree(body.substring(body.indexOf('{'))).path("uptime").asDouble();
    }

    private static boolean reachable(String ip) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ip, GuestProtocol.CONTROL_PORT), 500);
            s.getOutputStream().write("GET /cgi-bin/health HTTP/1.0\r\n\r\n".getBytes());
            s.setSoTimeout(500);
            return s.getInputStream().read() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    private void step(String text) {
        say.printf("%n[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
        say.flush();
    }

    private void note(String text) {
        say.println("         " + text);
        say.flush();
    }
}
