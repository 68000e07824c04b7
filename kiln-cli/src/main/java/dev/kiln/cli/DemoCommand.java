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
                    + "host, pauses one (its clock stops and it stops answering) and resumes it, then stops and "
                    + "removes both. A daemon the demo started is stopped at the end; one that was running is left "
                    + "running. Nothing is left behind."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln demo", "  kiln demo --keep        leave the two VMs running at the end"})
public final class DemoCommand extends KilnSubcommand {
    private static final List<String> NAMES = List.of("demo-a", "demo-b");

    @Option(names = "--keep", description = "Leave the demo's VMs running at the end (remove them with 'kiln vm rm -f').")
    boolean keep;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M",
            description = "Memory of each demo VM. Default: ${DEFAULT-VALUE}.")
    String memory;

    private PrintStream say;
    private long t0;

    @Override
    public Integer call() throws Exception {
        say = System.out;
        t0 = System.nanoTime();
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
            show(client, NAMES.get(1), "wget -q -O - http://" + ipA + ":" + GuestProtocol.CONTROL_PORT + GuestProtocol.HEALTH_PATH);
            show(client, NAMES.get(1), "ping -c 1 -W 5 " + gw + " | head -2 | tail -1");

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

            if (keep) {
                step("Leaving both VMs running (--keep); remove them with: kiln vm rm -f " + String.join(" ", NAMES));
                return 0;
            }
            step("Stopping " + NAMES.get(0) + " gracefully (ACPI power button) and removing both VMs");
            JsonNode stopped = client.stop(NAMES.get(0), Duration.ofSeconds(30));
            note(NAMES.get(0) + ": " + stopped.path("phase").asText() + " (" + stopped.path("cause").asText() + ")");
            for (String n : NAMES) client.remove(n, true);
            note("removed; VMs left: " + client.listVms().size());
        } finally {
            if (started && !keep) {
                step("Stopping the daemon the demo started (pid " + h.pid() + ") and removing kiln's bridge and nftables table");
                client.shutdownAndCleanUp();
            }
        }
        step(String.format("Done in %.1f s", (System.nanoTime() - t0) / 1e9));
        return 0;
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
