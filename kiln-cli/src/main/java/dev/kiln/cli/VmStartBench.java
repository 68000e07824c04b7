package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.api.RateLimiter;
import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.net.HostNetwork;
import dev.kiln.net.NetworkConfig;
import dev.kiln.net.NicLimits;
import dev.kiln.net.VmNetwork;
import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.HostCpu;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.qemu.QemuBinary;
import dev.kiln.vmm.qemu.QemuCommandLine;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * VM start through kiln (CLI request to the daemon until the guest is ready and answers on its control port)
 * against a bare qemu-system-x86_64 booting the same kernel, initramfs, root file system, NIC and kernel
 * arguments to the same ready line; alternated run by run. Also the daemon's memory per running VM and QEMU's
 * memory beyond guest RAM.
 */
@Command(name = "vm-start", sortOptions = false, usageHelpAutoWidth = true,
        header = "kiln's VM start (create to guest ready) against a bare QEMU start of the same guest.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Alternates, --runs times (which side goes first alternates too): (1) through kiln: 'POST /v1/vms?wait=true' to the daemon, timed by this client "
                    + "until the answer (guest printed its ready line and its control port accepts TCP); (2) bare: "
                    + "qemu-system-x86_64 started directly with the same command line kiln would use (same kernel, "
                    + "initramfs, root file system, a tap on the same bridge, same kernel arguments), timed from "
                    + "process start until the same ready line is in its console file. Reports medians, the ratio "
                    + "and the difference.",
            "",
            "Then boots --memory-vms VMs at once and reports the daemon's RSS growth per running VM, and QEMU's RSS "
                    + "beyond the guest RAM it has touched (from /proc/PID/smaps). Needs a running daemon (starts "
                    + "one if none runs) and root."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln bench vm-start", "  kiln bench vm-start --runs 9 --json > start.json"})
public final class VmStartBench extends KilnSubcommand {
    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs of each kind. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M", description = "Guest memory. Default: ${DEFAULT-VALUE}.")
    String memory;

    @Option(names = "--memory-vms", paramLabel = "N", defaultValue = "4",
            description = "VMs running at once for the memory figures (0 skips them). Default: ${DEFAULT-VALUE}.")
    int memoryVms;

    @Option(names = "--settle", paramLabel = "DURATION", defaultValue = "1s",
            description = "Idle time before every measured start, on both sides, so the previous run's teardown "
                    + "(process exit, tap removal) does not spill into the next measurement. Default: ${DEFAULT-VALUE}.")
    String settle;

    @Option(names = "--json", description = "Print the results as JSON. Default: text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (runs < 1) throw new CliException("BAD_REQUEST", "--runs must be at least 1", "e.g. --runs 5", ExitCodes.USAGE);
        boolean started = DaemonLauncher.ensureRunning(root().socket(), root().stateDir(), System.err);
        DaemonClient client = client();
        JsonNode health = client.healthJson();
        Accelerator accel = Accelerator.valueOf(health.path("accelerator").asText("tcg").toUpperCase());
        Path qemu = QemuBinary.find(Optional.empty(), System.getenv().getOrDefault("PATH", "/usr/bin"))
                .orElseThrow(() -> new CliException("VMM_NOT_INSTALLED", "qemu-system-x86_64 not found", "run 'kiln doctor'", 7));
        GuestImage image = GuestImageBuilder.create(root().stateDir().resolve("cache")).ensure(GuestImageOptions.defaults(), m -> { });
        if (!image.digest().equals(health.path("guestImage").asText())) {
            throw new CliException("BAD_REQUEST", "the daemon uses guest image " + health.path("guestImage").asText()
                    + " but this host builds " + image.digest(), "start the daemon with default options", ExitCodes.USAGE);
        }
        // the daemon's own network config (re-opening the network re-creates its nftables tables from it)
        NetworkConfig netConfig = dev.kiln.host.HostAgent.networkConfig(dev.kiln.host.HostConfig.defaults()
                .withStateDir(root().stateDir())
                .withNetwork(health.path("bridge").asText(), health.path("subnet").asText()));
        Duration settleTime = dev.kiln.host.Durations.parse(settle);
        List<Long> kiln = new ArrayList<>();
        List<Long> bare = new ArrayList<>();
        List<Long> daemonBoot = new ArrayList<>();
        try (HostNetwork net = HostNetwork.open(netConfig)) {
            for (int i = 0; i < runs; i++) {
                // alternate which goes first, so neither always runs on a machine the other just warmed or loaded
                if (i % 2 == 1) {
                    Thread.sleep(settleTime);
                    bare.add(bareQemu(qemu, accel, image, net, i));
                }
                Thread.sleep(settleTime);
                long[] k = viaKiln(client, "bench-start-" + i);
                kiln.add(k[0]);
                daemonBoot.add(k[1]);
                if (i % 2 == 0) {
                    Thread.sleep(settleTime);
                    bare.add(bareQemu(qemu, accel, image, net, i));
                }
                progress("run %d/%d: kiln %d ms, bare QEMU %d ms", i + 1, runs, k[0], bare.getLast());
            }
        }
        ObjectNode out = root().json().createObjectNode();
        out.put("accelerator", accel.qemuName());
        out.put("runs", runs);
        out.put("kilnMedianMs", median(kiln));
        out.put("bareMedianMs", median(bare));
        out.put("daemonReportedBootMedianMs", median(daemonBoot));
        out.put("ratio", (double) median(kiln) / median(bare));
        out.put("overheadMs", median(kiln) - median(bare));
        ArrayNode k = out.putArray("kilnMs");
        kiln.forEach(k::add);
        ArrayNode b = out.putArray("bareMs");
        bare.forEach(b::add);
        if (memoryVms > 0) memory(client, health.path("pid").asLong(), out);
        if (started) client.shutdownAndCleanUp();
        if (json) {
            printJson(out);
        } else {
            print(String.format("VM start, create to guest ready, %s, %d runs each, alternated:%n", accel.qemuName(), runs));
            print(String.format("  through kiln     median %5d ms  %s%n", median(kiln), kiln));
            print(String.format("  bare QEMU        median %5d ms  %s%n", median(bare), bare));
            print(String.format("  kiln / bare      %.3f (%+d ms)%n", out.path("ratio").asDouble(), out.path("overheadMs").asLong()));
            if (memoryVms > 0) {
                print(String.format("Memory with %d VMs running:%n", memoryVms));
                print(String.format("  daemon heap      %d KiB idle, %d KiB with the VMs (after a full GC): %+d KiB per VM%n",
                        out.path("daemonHeapAfterGcIdleKiB").asLong(), out.path("daemonHeapAfterGcLoadedKiB").asLong(),
                        out.path("daemonHeapKiBPerVm").asLong()));
                print(String.format("  daemon RSS       %d KiB idle, %d KiB with the VMs: %+d KiB per VM%n",
                        out.path("daemonRssIdleKiB").asLong(), out.path("daemonRssLoadedKiB").asLong(), out.path("daemonKiBPerVm").asLong()));
                print(String.format("  QEMU RSS         median %d KiB, of which guest RAM %d KiB: %d KiB beyond guest RAM (guest has %s)%n",
                        out.path("qemuRssMedianKiB").asLong(), out.path("qemuGuestRamRssMedianKiB").asLong(),
                        out.path("qemuOverheadMedianKiB").asLong(), memory));
            }
        }
        return 0;
    }

    /** Returns {client-measured ms, daemon-reported boot ms}. */
    private long[] viaKiln(DaemonClient client, String name) {
        ObjectNode req = root().json().createObjectNode();
        req.put("name", name);
        req.put("memory", memory);
        long t0 = System.nanoTime();
        JsonNode vm = client.createVm(req, true, Duration.ofSeconds(180));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        client.remove(name, true);
        return new long[] {ms, vm.path("bootMillis").asLong()};
    }

    private long bareQemu(Path qemu, Accelerator accel, GuestImage image, HostNetwork net, int run) throws Exception {
        VmId id = VmId.random();
        Path dir = Files.createTempDirectory(root().stateDir(), "bench-bare-");
        VmNetwork vmNet = net.attach("bench-bare-" + id.value(), NicLimits.none());
        Process p = null;
        try {
            String boot = String.join(" ", GuestProtocol.CMDLINE_ID + "=" + id.value(), GuestProtocol.CMDLINE_IP + "=" + vmNet.address(),
                    GuestProtocol.CMDLINE_GATEWAY + "=" + vmNet.gateway(), GuestProtocol.CMDLINE_TOKEN + "=00",
                    GuestProtocol.CMDLINE_HOSTNAME + "=bare" + run);
            VmSpec spec = new VmSpec(id, "bare" + run, 1, ByteSize.parse(memory), image.kernel(), Optional.of(image.initrd()), boot,
                    List.of(DriveSpec.of("root", image.rootfs(), true)),
                    List.of(new NicSpec("net0", vmNet.tapName(), vmNet.mac().value(), RateLimiter.none(), RateLimiter.none())));
            List<String> cmd = QemuCommandLine.build(qemu, accel, HostCpu.tscKhz(Path.of("/proc/cpuinfo")), spec, dir);
            Path console = dir.resolve("console.log");
            long t0 = System.nanoTime();
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("vmm.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                if (Files.exists(console) && Files.readString(console, StandardCharsets.ISO_8859_1).contains(GuestProtocol.READY_MARKER)
                        && agentAnswers(vmNet.address().address())) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
                if (!p.isAlive()) break;
                Thread.sleep(5);
            }
            throw new CliException("BOOT_FAILED", "the bare QEMU guest did not get ready:\n" + ProcStat.tail(console, 20)
                    + "\n" + ProcStat.tail(dir.resolve("vmm.log"), 10), "", 6);
        } finally {
            if (p != null) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            net.detach("bench-bare-" + id.value());
            deleteTree(dir);
        }
    }

    /** Ready means what kiln waits for: the console's ready line, then the guest agent answering its health check. */
    private static boolean agentAnswers(String ip) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(ip, dev.kiln.api.agent.AgentProtocol.PORT), 200);
            s.setSoTimeout(1000);
            s.getOutputStream().write(("GET " + dev.kiln.api.agent.AgentProtocol.HEALTH_PATH + " HTTP/1.0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return status.endsWith("200");
        } catch (IOException e) {
            return false;
        }
    }

    private void memory(DaemonClient client, long daemonPid, ObjectNode out) throws IOException, InterruptedException {
        long idleHeap = heapAfterGcKiB(daemonPid);
        long idle = ProcStat.rssBytes(daemonPid).orElse(0L) / 1024;
        List<String> names = new ArrayList<>();
        List<Long> qemuRss = new ArrayList<>();
        List<Long> guestRss = new ArrayList<>();
        long loaded;
        long loadedHeap;
        try {
            for (int i = 0; i < memoryVms; i++) {
                String name = "bench-mem-" + i;
                ObjectNode req = root().json().createObjectNode();
                req.put("name", name);
                req.put("memory", memory);
                names.add(name);
                client.createVm(req, true, Duration.ofSeconds(180));
                progress("memory: %d/%d VMs running", i + 1, memoryVms);
            }
            for (String n : names) client.vm(n); // the API path a user takes, on every VM
            loadedHeap = heapAfterGcKiB(daemonPid);
            loaded = ProcStat.rssBytes(daemonPid).orElse(0L) / 1024;
            long guestRamKiB = ByteSize.parse(memory).bytes() / 1024;
            for (String n : names) {
                long pid = client.vm(n).path("pid").asLong();
                long[] rss = smapsRss(pid, guestRamKiB);
                qemuRss.add(rss[0]);
                guestRss.add(rss[1]);
            }
        } finally {
            for (String n : names) client.remove(n, true);
        }
        out.put("memoryVms", memoryVms);
        out.put("daemonRssIdleKiB", idle);
        out.put("daemonRssLoadedKiB", loaded);
        out.put("daemonKiBPerVm", (loaded - idle) / memoryVms);
        out.put("daemonHeapAfterGcIdleKiB", idleHeap);
        out.put("daemonHeapAfterGcLoadedKiB", loadedHeap);
        out.put("daemonHeapKiBPerVm", (loadedHeap - idleHeap) / memoryVms);
        out.put("qemuRssMedianKiB", median(qemuRss));
        out.put("qemuGuestRamRssMedianKiB", median(guestRss));
        List<Long> over = new ArrayList<>();
        for (int i = 0; i < qemuRss.size(); i++) over.add(qemuRss.get(i) - guestRss.get(i));
        out.put("qemuOverheadMedianKiB", median(over));
    }

    /**
     * Runs a full GC in the daemon's JVM (jcmd GC.run) and returns its heap in use afterwards, in KiB: what the daemon
     * really holds, apart from the heap it has reserved but not returned to the OS.
     */
    static long heapAfterGcKiB(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        run(jcmd.toString(), Long.toString(pid), "GC.run");
        String info = run(jcmd.toString(), Long.toString(pid), "GC.heap_info");
        // e.g. " garbage-first heap   total reserved 397312K, committed 24576K, used 9143K [0x..."
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** {total RSS, RSS of the guest RAM mapping (the anonymous mapping of exactly the guest's size)} in KiB. */
    static long[] smapsRss(long pid, long guestRamKiB) throws IOException {
        long total = 0;
        long guest = 0;
        long size = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            if (line.startsWith("Size:")) {
                size = kib(line);
            } else if (line.startsWith("Rss:")) {
                long rss = kib(line);
                total += rss;
                if (size == guestRamKiB) guest += rss;
            }
        }
        return new long[] {total, guest};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    static long median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private void progress(String fmt, Object... args) {
        System.err.printf(fmt + "%n", args);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
