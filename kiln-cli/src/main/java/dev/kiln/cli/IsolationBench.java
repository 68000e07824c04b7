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
            "Alternates, --runs times (which side goes first alternates too), the same guest (kiln's guest image, "
                    + "a read-only root disk, no NIC) through the QEMU driver twice: jailed (its own uid, chroot, "
                    + "seccomp sandbox, cgroups: kiln's default) and unjailed (KILN_VMM_JAIL=off). Each run times: "
                    + "start until the guest's ready line is on its console; a snapshot of the running guest "
                    + "(its memory streamed to a file); the restore of that snapshot into a new VMM until it runs. "
                    + "Reports the medians of each side, their ratio and difference. Needs root; no daemon.",
            "",
            "The network filters' cost (issue 9's nftables rules) is not part of this run."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln bench isolation", "  kiln bench isolation --runs 9 --json > isolation.json"})
public final class IsolationBench extends KilnSubcommand {
    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs of each kind. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M", description = "Guest memory. Default: ${DEFAULT-VALUE}.")
    String memory;

    @Option(names = "--json", description = "Print the results as JSON. Default: text.")
    boolean json;

    private record Run(long startMs, long snapshotMs, long restoreMs) {}

    @Override
    public Integer call() throws Exception {
        if (runs < 1) throw new CliException("BAD_REQUEST", "--runs must be at least 1", "e.g. --runs 5", ExitCodes.USAGE);
        ByteSize size = ByteSize.parse(memory);
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
            for (int i = 0; i < runs; i++) {
                List<String> order = i % 2 == 0 ? List.of("jailed", "unjailed") : List.of("unjailed", "jailed");
                for (String side : order) {
                    VmmDriver d = side.equals("jailed") ? jailed : open;
                    results.get(side).add(once(d, image, size, work.resolve(side + "-" + i)));
                }
                progress("run %d/%d: start jailed %d ms, unjailed %d ms", i + 1, runs,
                        results.get("jailed").getLast().startMs(), results.get("unjailed").getLast().startMs());
            }
        } finally {
            deleteTree(work);
        }
        ObjectNode out = root().json().createObjectNode();
        out.put("accelerator", accel.accelerator().qemuName());
        out.put("runs", runs);
        out.put("memory", size.toString());
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
        if (json) {
            printJson(out);
        } else {
            print(String.format("VMM jail on against off, %s, %s guest, %d runs each, alternated:%n",
                    accel.accelerator().qemuName(), size, runs));
            for (String phase : List.of("start", "snapshot", "restore")) {
                var p = out.path(phase);
                print(String.format("  %-9s jailed median %6d ms, unjailed %6d ms: ratio %.3f (%+d ms)%n", phase,
                        p.path("jailedMedianMs").asLong(), p.path("unjailedMedianMs").asLong(),
                        p.path("ratio").asDouble(), p.path("differenceMs").asLong()));
            }
        }
        return ExitCodes.OK;
    }

    private static Run once(VmmDriver d, GuestImage image, ByteSize memory, Path dir) throws IOException {
        VmId id = new VmId("bench-iso-" + VmId.random().value().substring(0, 8));
        VmSpec spec = new VmSpec(id, id.value(), 1, memory, image.kernel(), Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_ID, id.value()),
                List.of(DriveSpec.of("root", image.rootfs(), true)), List.of());
        VmId copy = new VmId(id.value() + "-r");
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
                try {
                    d.destroy(v);
                } catch (RuntimeException e) {
                    // not started
                }
            }
        }
    }

    private void progress(String fmt, Object... args) {
        System.err.printf(fmt + "%n", args);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
