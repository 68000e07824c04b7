package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.Snapshots;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.qemu.AcceleratorProbe;
import dev.kiln.vmm.qemu.QemuBinary;
import dev.kiln.vmm.qemu.QemuConfig;
import dev.kiln.vmm.qemu.QemuDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cost of the VMM jail: the same guest started, snapshotted and restored by a jailed QEMU and by an unjailed one,
 * alternated run by run in one process.
 */
@Command(name = "isolation", sortOptions = false, usageHelpAutoWidth = true,
        header = "The cost of isolation: VM start, snapshot and restore with the VMM jail on against off.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Two parts, each alternating the two sides run by run (and which side goes first).",
            "",
            "The driver part: the same guest (kiln's guest image, a read-only root disk, no NIC) through the QEMU "
                    + "driver, jailed (its own uid, chroot, seccomp sandbox, cgroups: kiln's default) and unjailed "
                    + "(KILN_VMM_JAIL=off), --runs times. Each run times the start until the guest's ready line is on "
                    + "its console, a snapshot of the running guest (its memory streamed to a file) and the restore "
                    + "of that snapshot into a new VMM until it runs.",
            "",
            "The daemon part: two host agents in this process, each with its own bridge (kbi-isolated, kbi-open), "
                    + "a free 10.79.x.0/24 subnet and a temporary state directory. 'isolated' is kiln's default "
                    + "(VMMs jailed, the bridge guard's anti-spoofing, tenant, host-port and egress rules on); "
                    + "'open' has both off. It times --runs VM starts through each one's VM service (tap, guard, "
                    + "jail, boot until the guest agent answers), then boots a function slot on each (a Python "
                    + "handler in kiln's python3-runtime:1 image, built once into STATE/cache/bench-python-runtime) "
                    + "and times --invokes warm invocations on each, alternated: the micro-manager's call through "
                    + "the slot's agent on the tap, the bridge and its filters, the Lambda Runtime API in the guest "
                    + "and back.",
            "",
            "The store part: two etcd processes in a temporary directory, one as kiln starts its own (TLS, client "
                    + "certificates checked) and one plain (HTTP, no authentication). Each of --runs runs, alternated, "
                    + "opens a new client on each (timing it until its first read answers: the TLS handshake is in "
                    + "it), then times --store-ops writes and as many reads, one at a time.",
            "",
            "Reports the medians of each side (and the warm invocations' p99), their ratio and difference. Needs "
                    + "root; no daemon is needed and a running one is not touched."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln bench isolation", "  kiln bench isolation --runs 9 --invokes 200 --json > isolation.json",
            "  kiln bench isolation --part daemon", "  kiln bench isolation --part store --runs 9"})
public final class IsolationBench extends KilnSubcommand {
    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs of each kind. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M", description = "Guest memory. Default: ${DEFAULT-VALUE}.")
    String memory;

    @Option(names = "--invokes", paramLabel = "N", defaultValue = "50",
            description = "Warm invocations on each side in the daemon part. Default: ${DEFAULT-VALUE}.")
    int invokes;

    @Option(names = "--part", paramLabel = "PART", defaultValue = "all",
            description = "driver, daemon, store or all. Default: ${DEFAULT-VALUE}.")
    String part;

    @Option(names = "--store-ops", paramLabel = "N", defaultValue = "200",
            description = "Writes (and as many reads) per run on each side in the store part. Default: ${DEFAULT-VALUE}.")
    int storeOps;

    @Option(names = "--json", description = "Print the results as JSON. Default: text.")
    boolean json;

    private record Run(long startMs, long snapshotMs, long restoreMs) {}

    /** The driver part's VMs of the run in progress. */
    private static final java.util.Set<VmId> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public Integer call() throws Exception {
        if (runs < 1) throw new CliException("BAD_REQUEST", "--runs must be at least 1", "e.g. --runs 5", ExitCodes.USAGE);
        if (invokes < 1) {
            throw new CliException("BAD_REQUEST", "--invokes must be at least 1", "e.g. --invokes 50", ExitCodes.USAGE);
        }
        if (storeOps < 1) {
            throw new CliException("BAD_REQUEST", "--store-ops must be at least 1", "e.g. --store-ops 200",
                    ExitCodes.USAGE);
        }
        if (!List.of("driver", "daemon", "store", "all").contains(part)) {
            throw new CliException("BAD_REQUEST", "--part must be driver, daemon, store or all, not '" + part + "'",
                    "e.g. --part daemon", ExitCodes.USAGE);
        }
        ByteSize size = ByteSize.parse(memory);
        // the two in-process host agents log every step at INFO; the benchmark's own progress lines say enough (and
        // their warnings, such as the loud jail-off one, still show)
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        ObjectNode out = root().json().createObjectNode();
        out.put("runs", runs);
        out.put("memory", size.toString());
        if (part.equals("all") || part.equals("driver")) driverPart(size, out);
        if (part.equals("all") || part.equals("daemon")) daemonPart(size, out);
        if (part.equals("all") || part.equals("store")) storePart(out);
        if (json) {
            printJson(out);
            return ExitCodes.OK;
        }
        if (out.has("start")) {
            print(String.format("The VMM jail on against off (the QEMU driver alone), %s, %s guest, %d runs each, "
                    + "alternated:%n", out.path("accelerator").asText(), size, runs));
            for (String phase : List.of("start", "snapshot", "restore")) {
                var p = out.path(phase);
                print(String.format("  %-9s jailed median %6d ms, unjailed %6d ms: ratio %.3f (%+d ms)%n", phase,
                        p.path("jailedMedianMs").asLong(), p.path("unjailedMedianMs").asLong(),
                        p.path("ratio").asDouble(), p.path("differenceMs").asLong()));
            }
        }
        if (out.has("daemonStart")) {
            print(String.format("Isolation on (jail + bridge guard) against off, through the daemon's VM service and "
                    + "function slots:%n"));
            var st = out.path("daemonStart");
            print(String.format("  VM start    isolated median %6d ms, open %6d ms: ratio %.3f (%+d ms), %d runs each%n",
                    st.path("isolatedMedianMs").asLong(), st.path("openMedianMs").asLong(),
                    st.path("ratio").asDouble(), st.path("differenceMs").asLong(), runs));
            var cold = out.path("coldInvoke");
            print(String.format("  cold invoke isolated %6d ms, open %6d ms (one each: a slot VM booted and its "
                    + "runtime initialized)%n", cold.path("isolatedMs").asLong(), cold.path("openMs").asLong()));
            var w = out.path("warmInvoke");
            print(String.format("  warm invoke isolated p50 %.1f ms p99 %.1f ms, open p50 %.1f ms p99 %.1f ms: p50 "
                            + "ratio %.3f, %d invocations each%n", w.path("isolatedP50Ms").asDouble(),
                    w.path("isolatedP99Ms").asDouble(), w.path("openP50Ms").asDouble(), w.path("openP99Ms").asDouble(),
                    w.path("ratio").asDouble(), invokes));
        }
        if (out.has("store")) {
            var st = out.path("store");
            print(String.format("The cluster store: etcd with TLS and client certificates (kiln's own) against plain "
                    + "HTTP, %d runs each, alternated:%n", runs));
            for (String what : List.of("connect", "write", "read")) {
                print(String.format("  %-8s TLS median %7.2f ms, plain %7.2f ms: ratio %.3f (%+.2f ms)%n", what,
                        st.path(what).path("tlsMedianMs").asDouble(), st.path(what).path("plainMedianMs").asDouble(),
                        st.path(what).path("ratio").asDouble(), st.path(what).path("differenceMs").asDouble()));
            }
            print(String.format("  (connect: a new client until its first read answers; write and read: the median "
                    + "of %d single calls per run, then the median over runs)%n", storeOps));
        }
        return ExitCodes.OK;
    }

    /** etcd with TLS and client certificates against plain HTTP: a new client's first read, then single calls. */
    private void storePart(ObjectNode out) throws Exception {
        Path work = Files.createTempDirectory("kiln-bench-store-");
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        List<Integer> ports = dev.kiln.cluster.store.EtcdProcess.freePorts(4);
        progress("starting two etcd processes (TLS with client certificates, and plain)...");
        var pki = dev.kiln.cluster.store.EtcdPki.ensure(work.resolve("pki"), List.of());
        try (var tls = dev.kiln.cluster.store.EtcdProcess.start(work.resolve("tls/data"), ports.get(0), ports.get(1),
                Duration.ofSeconds(30), work.resolve("tls/etcd.log"), Optional.of(pki));
             var plain = dev.kiln.cluster.store.EtcdProcess.start(work.resolve("plain/data"), ports.get(2),
                     ports.get(3), Duration.ofSeconds(30), work.resolve("plain/etcd.log"), Optional.empty())) {
            Map<String, dev.kiln.cluster.store.EtcdProcess> sides = new LinkedHashMap<>();
            sides.put("tls", tls);
            sides.put("plain", plain);
            for (String side : sides.keySet()) {
                results.put(side, new LinkedHashMap<>(Map.of("connect", new ArrayList<>(), "write",
                        new ArrayList<>(), "read", new ArrayList<>())));
            }
            byte[] value = new byte[256];
            for (int run = 0; run < runs; run++) {
                List<String> order = run % 2 == 0 ? List.of("tls", "plain") : List.of("plain", "tls");
                for (String side : order) {
                    progress("store run " + (run + 1) + "/" + runs + ": " + side + "...");
                    var etcd = sides.get(side);
                    long t0 = System.nanoTime();
                    try (var kv = dev.kiln.cluster.store.KvStore.etcd(List.of(etcd.endpoint()), etcd.tls())) {
                        kv.get("/bench/none");
                        results.get(side).get("connect").add((System.nanoTime() - t0) / 1e6);
                        List<Double> writes = new ArrayList<>();
                        List<Double> reads = new ArrayList<>();
                        for (int i = 0; i < storeOps; i++) {
                            String key = "/bench/" + run + "/" + i;
                            long w = System.nanoTime();
                            kv.create(key, value);
                            writes.add((System.nanoTime() - w) / 1e6);
                            long r = System.nanoTime();
                            kv.get(key);
                            reads.add((System.nanoTime() - r) / 1e6);
                        }
                        results.get(side).get("write").add(percentile(writes, 0.5));
                        results.get(side).get("read").add(percentile(reads, 0.5));
                    }
                }
            }
        } finally {
            deleteTree(work);
        }
        ObjectNode store = out.putObject("store");
        store.put("opsPerRun", storeOps);
        for (String what : List.of("connect", "write", "read")) {
            ObjectNode o = store.putObject(what);
            double on = percentile(results.get("tls").get(what), 0.5);
            double off = percentile(results.get("plain").get(what), 0.5);
            o.put("tlsMedianMs", Math.round(on * 100) / 100.0);
            o.put("plainMedianMs", Math.round(off * 100) / 100.0);
            o.put("ratio", Math.round(on / Math.max(0.001, off) * 1000) / 1000.0);
            o.put("differenceMs", Math.round((on - off) * 100) / 100.0);
            ArrayNode all = o.putArray("tlsMs");
            results.get("tls").get(what).forEach(v -> all.add(Math.round(v * 100) / 100.0));
            ArrayNode allOff = o.putArray("plainMs");
            results.get("plain").get(what).forEach(v -> allOff.add(Math.round(v * 100) / 100.0));
        }
    }

    private void driverPart(ByteSize size, ObjectNode out) throws Exception {
        Path qemu = QemuBinary.find(Optional.empty(), System.getenv().getOrDefault("PATH", "/usr/bin"))
                .orElseThrow(() -> new CliException("VMM_NOT_INSTALLED", "qemu-system-x86_64 not found", "run 'kiln doctor'", 7));
        progress("guest image (built from the host's packages on first use)...");
        GuestImage image = GuestImageBuilder.create(root().stateDir().resolve("cache"))
                .ensure(GuestImageOptions.defaults(), m -> { });
        progress("probing KVM by booting a probe guest...");
        AcceleratorChoice accel = new AcceleratorProbe(qemu, Path.of("/dev/kvm"), Clock.systemUTC())
                .probe(image.kernel(), image.initrd(), GuestProtocol.PROBE_MARKER, Duration.ofSeconds(15));
        Path work = Files.createTempDirectory("kiln-bench-isolation-");
        Map<String, List<Run>> results = new LinkedHashMap<>();
        results.put("jailed", new ArrayList<>());
        results.put("unjailed", new ArrayList<>());
        try (VmmDriver jailed = QemuDriver.create(QemuConfig.of(qemu, accel).withJail(JailPolicy.on()));
             VmmDriver open = QemuDriver.create(QemuConfig.of(qemu, accel).withJail(JailPolicy.off()))) {
            // interrupted (Ctrl-C, kill): the VMs of the run in progress go too (a driver's close leaves VMs running)
            Thread onExit = new Thread(() -> {
                for (VmmDriver d : List.of(jailed, open)) {
                    for (VmId id : List.copyOf(running)) destroyQuietly(d, id);
                }
                try {
                    deleteTree(work);
                } catch (IOException e) {
                    System.err.println("cannot remove " + work + ": " + e.getMessage());
                }
            }, "kiln-bench-isolation-cleanup");
            Runtime.getRuntime().addShutdownHook(onExit);
            try {
                driverRuns(jailed, open, image, size, work, results);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(onExit);
                } catch (IllegalStateException shuttingDown) {
                    // the hook cleans up
                }
            }
        } finally {
            deleteTree(work);
        }
        out.put("accelerator", accel.accelerator().qemuName());
        for (String phase : List.of("start", "snapshot", "restore")) {
            ObjectNode p = out.putObject(phase);
            for (String side : results.keySet()) {
                List<Long> ms = results.get(side).stream().map(r -> switch (phase) {
                    case "start" -> r.startMs();
                    case "snapshot" -> r.snapshotMs();
                    default -> r.restoreMs();
                }).toList();
                p.put(side + "MedianMs", VmStartBench.median(ms));
                ArrayNode all = p.putArray(side + "Ms");
                ms.forEach(all::add);
            }
            p.put("ratio", (double) p.path("jailedMedianMs").asLong() / Math.max(1, p.path("unjailedMedianMs").asLong()));
            p.put("differenceMs", p.path("jailedMedianMs").asLong() - p.path("unjailedMedianMs").asLong());
        }
    }

    private void driverRuns(VmmDriver jailed, VmmDriver open, GuestImage image, ByteSize size, Path work,
                            Map<String, List<Run>> results) throws IOException {
        for (int i = 0; i < runs; i++) {
            List<String> order = i % 2 == 0 ? List.of("jailed", "unjailed") : List.of("unjailed", "jailed");
            for (String side : order) {
                VmmDriver d = side.equals("jailed") ? jailed : open;
                results.get(side).add(once(d, image, size, work.resolve(side + "-" + i)));
            }
            progress("driver run %d/%d: start jailed %d ms, unjailed %d ms", i + 1, runs,
                    results.get("jailed").getLast().startMs(), results.get("unjailed").getLast().startMs());
        }
    }

    private static void destroyQuietly(VmmDriver d, VmId id) {
        try {
            d.destroy(id);
        } catch (RuntimeException e) {
            // not this driver's, or not started
        }
    }

    private void daemonPart(ByteSize size, ObjectNode out) throws Exception {
        Path examples = ClusterDemo.examples();
        Path work = Files.createTempDirectory("kiln-bench-isolation-hosts-");
        try (IsolatedHostsBench bench = IsolatedHostsBench.start(root().stateDir(),
                examples.resolve("images/python3-runtime.yaml"), examples.resolve("functions/python"), work,
                this::progress)) {
            List<IsolatedHostsBench.Side> sides = bench.sides();
            for (int i = 0; i < runs; i++) {
                for (IsolatedHostsBench.Side side : i % 2 == 0 ? sides : sides.reversed()) {
                    bench.startOnce(side, size.toString());
                }
                progress("daemon run %d/%d: VM start isolated %d ms, open %d ms", i + 1, runs,
                        sides.get(0).startMs.getLast(), sides.get(1).startMs.getLast());
            }
            for (IsolatedHostsBench.Side side : sides) {
                progress("the function's cold start on the %s host (a slot VM boots, its runtime starts)...", side.name);
                bench.cold(side);
            }
            for (int i = 0; i < invokes; i++) {
                for (IsolatedHostsBench.Side side : i % 2 == 0 ? sides : sides.reversed()) {
                    bench.warm(side);
                }
                if ((i + 1) % 25 == 0 || i + 1 == invokes) {
                    progress("warm invocations %d/%d", i + 1, invokes);
                }
            }
            IsolatedHostsBench.Side on = sides.get(0);
            IsolatedHostsBench.Side off = sides.get(1);
            ObjectNode st = out.putObject("daemonStart");
            st.put("isolatedMedianMs", VmStartBench.median(on.startMs));
            st.put("openMedianMs", VmStartBench.median(off.startMs));
            on.startMs.forEach(st.putArray("isolatedMs")::add);
            off.startMs.forEach(st.putArray("openMs")::add);
            st.put("ratio", (double) VmStartBench.median(on.startMs) / Math.max(1, VmStartBench.median(off.startMs)));
            st.put("differenceMs", VmStartBench.median(on.startMs) - VmStartBench.median(off.startMs));
            ObjectNode cold = out.putObject("coldInvoke");
            cold.put("isolatedMs", on.coldMs);
            cold.put("openMs", off.coldMs);
            ObjectNode w = out.putObject("warmInvoke");
            w.put("invocations", invokes);
            w.put("isolatedP50Ms", round(percentile(on.warmMs, 0.5)));
            w.put("isolatedP99Ms", round(percentile(on.warmMs, 0.99)));
            w.put("openP50Ms", round(percentile(off.warmMs, 0.5)));
            w.put("openP99Ms", round(percentile(off.warmMs, 0.99)));
            w.put("ratio", percentile(on.warmMs, 0.5) / Math.max(0.001, percentile(off.warmMs, 0.5)));
        } finally {
            deleteTree(work);
        }
    }

    /** The value at quantile {@code q} of {@code values} (nearest rank). */
    static double percentile(List<Double> values, double q) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(sorted.size() * q) - 1)));
    }

    private static double round(double ms) {
        return Math.round(ms * 10) / 10.0;
    }

    private static Run once(VmmDriver d, GuestImage image, ByteSize memory, Path dir) throws IOException {
        VmId id = new VmId("bench-iso-" + VmId.random().value().substring(0, 8));
        VmSpec spec = new VmSpec(id, id.value(), 1, memory, image.kernel(), Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_ID, id.value()),
                List.of(DriveSpec.of("root", image.rootfs(), true)), List.of());
        VmId copy = new VmId(id.value() + "-r");
        running.add(id);
        running.add(copy);
        long t0 = System.nanoTime();
        VmHandle h = d.start(spec, dir.resolve("vm"));
        try {
            ConsoleReadiness.Outcome ready = ConsoleReadiness.await(h.consoleLog(),
                    GuestProtocol.READY_MARKER + " id=" + id + " ", GuestProtocol.FAILED_MARKER, Duration.ofMinutes(3),
                    d.await(id));
            if (!(ready instanceof ConsoleReadiness.Outcome.Ready)) {
                throw new CliException("VMM_START_FAILED", "the benchmark's guest did not boot: " + ready
                        + "\n" + ProcStat.tail(h.vmmLog(), 10), "run 'kiln doctor'", 1);
            }
            long startMs = (System.nanoTime() - t0) / 1_000_000;
            Snapshots snapshots = d.snapshots().orElseThrow();
            Snapshots.SnapshotFiles files = new Snapshots.SnapshotFiles(dir.resolve("snap/state.json"),
                    dir.resolve("snap/memory"));
            long t1 = System.nanoTime();
            snapshots.createSnapshot(id, files);
            long snapshotMs = (System.nanoTime() - t1) / 1_000_000;
            VmSpec restored = new VmSpec(copy, copy.value(), spec.vcpus(), spec.memory(), spec.kernel(), spec.initrd(),
                    spec.bootArgs(), spec.drives(), spec.nics());
            long t2 = System.nanoTime();
            snapshots.loadSnapshot(restored, dir.resolve("restored"), files);
            long restoreMs = (System.nanoTime() - t2) / 1_000_000;
            return new Run(startMs, snapshotMs, restoreMs);
        } finally {
            for (VmId v : List.of(id, copy)) {
                destroyQuietly(d, v);
                running.remove(v);
            }
        }
    }

    private void progress(String fmt, Object... args) {
        System.err.printf(fmt + "%n", args);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
