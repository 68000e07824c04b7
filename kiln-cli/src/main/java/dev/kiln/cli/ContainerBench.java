package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench containers}: the container steps in a running microVM, each beside the same step done
 * directly on the host in the same run, as medians and ratios.
 */
@Command(name = "containers", sortOptions = false, usageHelpAutoWidth = true,
        header = "Container start, image pull and agent start-up in a microVM, against the same on the host.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Builds two scratch images (busybox echo; busybox plus a random file of --pull-size), boots one VM, and "
                    + "measures, --runs times each, alternating with its host baseline:",
            "  start: 'kiln run' of the echo image in the running VM (image already in the guest) until its output "
                    + "appears, against 'runc run' of the same root file system on the host until its first line;",
            "  pull:  the guest agent pulling a fresh image of --pull-size from the daemon's registry (download, "
                    + "digest check, unpack), against the host downloading the same blobs from that registry and "
                    + "checking their digests;",
            "  agent: the guest agent's start-up (JVM start to listening), with and without its AOT cache, run a "
                    + "second time inside the guest, against the same runtime, jar and cache started on the host.",
            "Medians and ratios are printed, and written as JSON with --json. Needs root (runc, loop mounts)."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln bench containers --runs 5", "  kiln bench containers --runs 9 --pull-size 64 --json"})
public final class ContainerBench extends KilnSubcommand {
    private static final String VM = "bench-ctr";

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs of each kind. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--pull-size", paramLabel = "MIB", defaultValue = "32", description = "Size of the pulled layer's file, MiB. Default: ${DEFAULT-VALUE}.")
    int pullMib;

    @Option(names = "--json", description = "Print the results as JSON. Default: text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || pullMib < 1) throw new CliException("BAD_REQUEST", "--runs and --pull-size must be at least 1", "", ExitCodes.USAGE);
        boolean started = DaemonLauncher.ensureRunning(root().socket(), root().stateDir(), System.err);
        DaemonClient client = client();
        JsonNode health = client.healthJson();
        Path work = Files.createTempDirectory("kiln-bench-ctr-");
        List<String> images = new ArrayList<>();
        ObjectNode out = root().json().createObjectNode();
        try {
            progress("building the benchmark images");
            images.add(build(client, work, "echo", List.of(), "kiln-bench/echo:1"));
            for (int i = 0; i < runs; i++) {
                images.add(build(client, work, "blob" + i, List.of(randomFile(work.resolve("blob" + i + ".bin"), i)), "kiln-bench/blob:" + i));
            }
            if (client.listVms().stream().anyMatch(v -> v.path("name").asText().equals(VM))) client.remove(VM, true);
            ObjectNode req = root().json().createObjectNode().put("name", VM).put("memory", "512M");
            client.createVm(req, true, Duration.ofMinutes(3));
            progress("VM %s is ready; warming the echo image in it", VM);
            client.pullIntoVm(VM, "kiln-bench/echo:1");

            Path rootfs = unpackOnHost(client, work, "kiln-bench/echo:1");
            List<Long> kilnStart = new ArrayList<>();
            List<Long> hostStart = new ArrayList<>();
            List<Double> kilnPull = new ArrayList<>();
            List<Double> hostPull = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                if (i % 2 == 0) hostStart.add(runcOnHost(work, rootfs, i));
                kilnStart.add(runInVm(client, i));
                if (i % 2 == 1) hostStart.add(runcOnHost(work, rootfs, i));
                double mb = pullMib;
                JsonNode pulled = client.pullIntoVm(VM, "kiln-bench/blob:" + i);
                double bytes = pulled.path("image").path("sizeBytes").asDouble(mb * (1 << 20));
                kilnPull.add(bytes / (1 << 20) / (pulled.path("millis").asLong() / 1000.0));
                hostPull.add(fetchOnHost(client, health, "kiln-bench/blob:" + i));
                progress("run %d/%d: start kiln %d ms, runc on host %d ms; pull guest %.1f MiB/s, host %.1f MiB/s",
                        i + 1, runs, kilnStart.getLast(), hostStart.getLast(), kilnPull.getLast(), hostPull.getLast());
            }
            progress("agent start-up: a second agent in the guest, with and without its AOT cache, and on the host");
            List<Long> guestAot = new ArrayList<>();
            List<Long> guestNoAot = new ArrayList<>();
            List<Long> hostAot = new ArrayList<>();
            Path mnt = mountRootfs(health, work);
            try {
                for (int i = 0; i < runs; i++) {
                    guestAot.add(agentInGuest(client, true, i));
                    guestNoAot.add(agentInGuest(client, false, i));
                    hostAot.add(agentOnHost(mnt, i));
                    progress("run %d/%d: agent in guest %d ms (no AOT cache: %d ms), on host %d ms", i + 1, runs,
                            guestAot.getLast(), guestNoAot.getLast(), hostAot.getLast());
                }
            } finally {
                run(List.of("umount", mnt.resolve("proc").toString()), Duration.ofSeconds(10), true);
                run(List.of("umount", mnt.resolve("tmp").toString()), Duration.ofSeconds(10), true);
                run(List.of("umount", mnt.toString()), Duration.ofSeconds(10), true);
            }
            out.put("runs", runs).put("accelerator", health.path("accelerator").asText());
            JsonNode startup = client.agentFacts(VM).path("agentStartup");
            out.put("bootAgentStartupMs", startup.isTextual() ? Duration.parse(startup.asText()).toMillis()
                    : Math.round(startup.asDouble() * 1000));
            section(out, "containerStartMs", kilnStart, hostStart);
            sectionD(out, "pullMiBps", kilnPull, hostPull, pullMib);
            section(out, "agentStartupMs", guestAot, hostAot);
            out.put("agentStartupNoAotGuestMedianMs", medianL(guestNoAot));
            out.put("agentAotSpeedupInGuest", (double) medianL(guestNoAot) / medianL(guestAot));
        } finally {
            try {
                client.remove(VM, true);
            } catch (CliException gone) {
                // never created
            }
            for (String image : images) {
                try {
                    client.removeImage(image);
                } catch (CliException e) {
                    // already gone
                }
            }
            deleteTree(work);
            if (started) client.shutdownAndCleanUp();
        }
        if (json) {
            printJson(out);
        } else {
            out().printf("container start (run -> first output), median of %d: kiln in a running VM %d ms, runc on the host %d ms (%.1fx)%n",
                    runs, out.path("containerStartMs").path("kilnMedian").asLong(), out.path("containerStartMs").path("hostMedian").asLong(),
                    out.path("containerStartMs").path("ratio").asDouble());
            out().printf("image pull (%d MiB layer): guest %.1f MiB/s, host %.1f MiB/s (%.2fx of host)%n", pullMib,
                    out.path("pullMiBps").path("kilnMedian").asDouble(), out.path("pullMiBps").path("hostMedian").asDouble(),
                    out.path("pullMiBps").path("ratio").asDouble());
            out().printf("agent start-up (JVM start -> listening): in the guest %d ms (without AOT cache %d ms, %.1fx faster "
                            + "with it), on the host %d ms (%.1fx); at boot it took %d ms%n",
                    out.path("agentStartupMs").path("kilnMedian").asLong(), out.path("agentStartupNoAotGuestMedianMs").asLong(),
                    out.path("agentAotSpeedupInGuest").asDouble(), out.path("agentStartupMs").path("hostMedian").asLong(),
                    out.path("agentStartupMs").path("ratio").asDouble(), out.path("bootAgentStartupMs").asLong());
            out().flush();
        }
        return ExitCodes.OK;
    }

    // ---- kiln side ------------------------------------------------------------------------------------------------

    private long runInVm(DaemonClient client, int i) throws InterruptedException {
        String name = "bench-echo-" + i;
        ObjectNode req = root().json().createObjectNode().put("image", "kiln-bench/echo:1").put("name", name).put("vm", VM);
        long t0 = System.nanoTime();
        client.runContainer(req, Duration.ofMinutes(2));
        try {
            while (true) {
                StringBuilder text = new StringBuilder();
                client.streamContainerLogs(name, false, "stdout", text::append);
                if (text.toString().contains("ready")) return (System.nanoTime() - t0) / 1_000_000;
                if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(2)) {
                    throw new CliException("TIMEOUT", "container " + name + " printed nothing within 2 minutes", "", ExitCodes.TIMEOUT);
                }
                Thread.sleep(20);
            }
        } finally {
            client.removeContainer(name, true);
        }
    }

    /** Runs the same agent a second time in the guest on another port and reads its start-up line. */
    private long agentInGuest(DaemonClient client, boolean aot, int i) {
        String script = "rm -rf /tmp/agent2; mkdir -p /tmp/agent2; /opt/kiln/jre/bin/java @/opt/kiln/agent/jvm.options "
                + (aot ? "-XX:AOTCache=/opt/kiln/agent/kiln-agent.aot " : "")
                + "-cp /opt/kiln/agent/kiln-agent.jar dev.kiln.agent.Main --listen=127.0.0.1:" + (10090 + i)
                + " --token-file=/run/kiln/token --state-dir=/tmp/agent2 --runc=/usr/sbin/runc > /tmp/agent2.log 2>&1 &"
                + " pid=$!; for n in $(seq 1 600); do grep -q KILN_AGENT_READY /tmp/agent2.log && break; sleep 0.1; done;"
                + " kill $pid; wait $pid 2>/dev/null; grep KILN_AGENT_READY /tmp/agent2.log";
        ExecResult r = client.exec(VM, script, Duration.ofMinutes(2));
        return startupMs(r.output());
    }

    // ---- host baselines -------------------------------------------------------------------------------------------

    private Path unpackOnHost(DaemonClient client, Path work, String image) throws IOException, InterruptedException {
        JsonNode details = client.inspectImage(image);
        Path rootfs = Files.createDirectories(work.resolve("bundle/rootfs"));
        for (JsonNode layer : details.path("layers")) {
            String hex = layer.path("digest").asText().replace("sha256:", "");
            run(List.of("tar", "-xf", root().stateDir().resolve("images/blobs/sha256/" + hex).toString(), "-C", rootfs.toString()),
                    Duration.ofMinutes(1), false);
        }
        run(List.of("runc", "spec", "--bundle", work.resolve("bundle").toString()), Duration.ofSeconds(30), false);
        Path config = work.resolve("bundle/config.json");
        ObjectNode spec = (ObjectNode) root().json().readTree(config.toFile());
        ObjectNode process = (ObjectNode) spec.path("process");
        process.put("terminal", false);
        process.putArray("args").add("/bin/echo").add("ready");
        root().json().writeValue(config.toFile(), spec);
        return rootfs;
    }

    private long runcOnHost(Path work, Path rootfs, int i) throws IOException, InterruptedException {
        String id = "kiln-bench-" + ProcessHandle.current().pid() + "-" + i;
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("runc", "run", "--bundle", work.resolve("bundle").toString(), id)
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (line == null || !line.contains("ready")) {
                throw new CliException("BENCH_FAILED", "runc on the host printed '" + line + "'", "is runc installed? run as root", ExitCodes.FAILURE);
            }
            p.waitFor(30, TimeUnit.SECONDS);
            return ms;
        } finally {
            p.destroyForcibly();
            run(List.of("runc", "delete", "--force", id), Duration.ofSeconds(30), true);
        }
    }

    /** Downloads every blob of the image from the daemon's registry and checks its sha256, as the guest does. */
    private double fetchOnHost(DaemonClient client, JsonNode health, String image) throws IOException, InterruptedException {
        JsonNode details = client.inspectImage(image);
        String repo = image.substring(0, image.lastIndexOf(':'));
        long bytes = 0;
        long t0 = System.nanoTime();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (JsonNode layer : details.path("layers")) {
                String digest = layer.path("digest").asText();
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(health.path("registry").asText()
                        + "/v2/" + repo + "/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofInputStream());
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = r.body()) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                        bytes += n;
                    }
                }
                if (!digest.equals("sha256:" + java.util.HexFormat.of().formatHex(sha.digest()))) {
                    throw new CliException("BENCH_FAILED", "the registry served a blob that does not match " + digest, "", ExitCodes.FAILURE);
                }
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return bytes / (double) (1 << 20) / ((System.nanoTime() - t0) / 1e9);
    }

    private Path mountRootfs(JsonNode health, Path work) throws IOException, InterruptedException {
        Path image = root().stateDir().resolve("cache/guest/" + health.path("guestImage").asText() + "/rootfs.ext4");
        Path mnt = Files.createDirectories(work.resolve("guest-rootfs"));
        run(List.of("mount", "-o", "loop,ro", image.toString(), mnt.toString()), Duration.ofSeconds(30), false);
        run(List.of("mount", "-t", "proc", "proc", mnt.resolve("proc").toString()), Duration.ofSeconds(30), false);
        run(List.of("mount", "-t", "tmpfs", "tmpfs", mnt.resolve("tmp").toString()), Duration.ofSeconds(30), false);
        return mnt;
    }

    /** The guest's runtime, jar and AOT cache, started on the host in a chroot of the guest's root file system. */
    private long agentOnHost(Path mnt, int i) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("chroot", mnt.toString(), "/opt/kiln/jre/bin/java", "@/opt/kiln/agent/jvm.options",
                "-XX:AOTCache=/opt/kiln/agent/kiln-agent.aot", "-cp", "/opt/kiln/agent/kiln-agent.jar", "dev.kiln.agent.Main",
                "--listen=127.0.0.1:0", "--token-file=/run/none", "--state-dir=/tmp/agent-state-" + i, "--runc=/bin/false")
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder all = new StringBuilder();
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.contains("KILN_AGENT_READY")) return startupMs(line);
            }
            throw new CliException("BENCH_FAILED", "the agent on the host did not start: " + all, "", ExitCodes.FAILURE);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------------------------

    private String build(DaemonClient client, Path work, String name, List<Path> extra, String tag) throws IOException {
        StringBuilder files = new StringBuilder("  - {source: /bin/busybox, target: /bin/busybox, mode: \"0755\"}\n");
        for (Path f : extra) {
            files.append("  - {source: ").append(f).append(", target: /data/").append(f.getFileName()).append(", mode: \"0644\"}\n");
        }
        Path spec = work.resolve(name + ".yaml");
        Files.writeString(spec, "suite: scratch\nfiles:\n" + files + "links:\n  - {target: /bin/echo, to: busybox}\n"
                + "  - {target: /bin/sh, to: busybox}\nentrypoint: [/bin/echo, ready]\n");
        client.buildImage(spec.toString(), tag);
        return tag;
    }

    private Path randomFile(Path file, long seed) throws IOException {
        Random random = new Random(seed * 7919 + System.nanoTime());
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < pullMib; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        return file;
    }

    private static long startupMs(String output) {
        var m = java.util.regex.Pattern.compile("startup_ms=(\\d+)").matcher(output);
        if (!m.find()) throw new CliException("BENCH_FAILED", "no start-up line from the agent: " + output.strip(), "", ExitCodes.FAILURE);
        return Long.parseLong(m.group(1));
    }

    private static String run(List<String> command, Duration timeout, boolean quiet) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || (p.exitValue() != 0 && !quiet)) {
            p.destroyForcibly();
            throw new CliException("BENCH_FAILED", String.join(" ", command) + " failed: " + out.strip(), "run as root", ExitCodes.FAILURE);
        }
        return out;
    }

    private void section(ObjectNode out, String name, List<Long> kiln, List<Long> host) {
        ObjectNode s = out.putObject(name);
        s.put("kilnMedian", medianL(kiln)).put("hostMedian", medianL(host)).put("ratio", (double) medianL(kiln) / medianL(host));
        kiln.forEach(s.putArray("kiln")::add);
        host.forEach(s.putArray("host")::add);
    }

    private void sectionD(ObjectNode out, String name, List<Double> kiln, List<Double> host, int mib) {
        ObjectNode s = out.putObject(name);
        s.put("layerMiB", mib).put("kilnMedian", medianD(kiln)).put("hostMedian", medianD(host)).put("ratio", medianD(kiln) / medianD(host));
        kiln.forEach(s.putArray("kiln")::add);
        host.forEach(s.putArray("host")::add);
    }

    static long medianL(List<Long> xs) {
        List<Long> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double medianD(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private void progress(String format, Object... args) {
        if (!json) {
            System.err.printf(format + "%n", args);
            System.err.flush();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
