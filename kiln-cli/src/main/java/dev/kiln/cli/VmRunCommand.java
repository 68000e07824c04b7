package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.vmm.ByteSize;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln vm run}: {@code POST /v1/vms}. */
@Command(name = "run", sortOptions = false, usageHelpAutoWidth = true,
        header = "Create and boot a VM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Asks the daemon to create a VM from kiln's guest image and boot it. Without --detach it waits until "
                    + "the guest is ready (it printed its ready line and its network is up) and prints its name, IP "
                    + "address and boot time; while waiting it shows the elapsed time on stderr if that is a "
                    + "terminal. If the boot fails, the daemon removes the VM and the error shows the cause and the "
                    + "console's last lines (exit code 6).",
            "",
            "Rate limits are Firecracker's token buckets: AMOUNT tokens refill every REFILL, plus a one-time "
                    + "BURST. Network limits are written [rx=|tx=]BYTES/REFILL[+BURST] for bandwidth and "
                    + "ops:[rx=|tx=]COUNT/REFILL[+BURST] for packets (no rx=/tx= means both directions; the QEMU driver limits NICs with tc on the tap, "
                    + "and packet limits need the tc police action, which some kernels lack: the daemon then refuses "
                    + "them); disk limits BYTES/REFILL[+BURST] or ops:COUNT/REFILL[+BURST]. Sizes: 512K, 1M, 1G or bytes; "
                    + "times: 100ms, 1s, 2m."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {
            "  kiln vm run --name web1",
            "  kiln vm run --name db --vcpus 2 --memory 1G --disk ./data.img --disk /srv/ref.img:ro",
            "  kiln vm run --net-rate rx=1M/1s --net-rate tx=512K/100ms+1M",
            "  kiln vm run --disk data.img --disk-rate 10M/1s --disk-rate ops:500/1s",
            "  kiln vm run --driver fake --detach --json"})
final class VmRunCommand extends KilnSubcommand {
    /** The VMMs a VM can be asked to run under; the API's value is the lower-case name. */
    enum Driver { AUTO, QEMU, FIRECRACKER, FAKE }

    /** The driver names as the user writes them. */
    static final class DriverNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        DriverNames() {
            super(List.of("auto", "qemu", "firecracker", "fake"));
        }
    }

    @Option(names = "--name", paramLabel = "NAME",
            description = {"The VM's name (letters, digits and dashes; unique on this host).",
                "Default: the daemon picks one."})
    Optional<String> name;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "1",
            description = {"Number of virtual CPUs.", "Default: ${DEFAULT-VALUE}."})
    int vcpus;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M",
            converter = Converters.ByteSizeConverter.class,
            description = {"Guest memory, e.g. 256M or 1G.", "Default: ${DEFAULT-VALUE}."})
    ByteSize memory;

    @Option(names = "--huge-pages",
            description = {"Back the guest's memory with the host's 2 MiB huge pages (reserve them first, as root: "
                    + "echo N > /proc/sys/vm/nr_hugepages; the VM needs memory/2M of them free, or it is refused).",
                "Default: normal pages."})
    boolean hugePages;

    @Option(names = "--scratch", paramLabel = "SIZE", converter = Converters.ByteSizeConverter.class,
            description = {"Size of the VM's scratch disk (a sparse file; the guest agent keeps images and containers "
                    + "there; only what is written takes space).", "Default: the daemon's, 4G."})
    ByteSize scratch;

    @Option(names = "--disk", paramLabel = "FILE[:ro]", converter = Converters.DiskConverter.class,
            description = {"Attach a disk image as an extra virtio disk (the first is /dev/vdb, mounted at /mnt/vdb in "
                    + "the guest); with the suffix :ro it is read-only. Repeat for more disks. Relative paths are taken from "
                    + "the current directory.", "Default: no extra disks."})
    List<DiskSpec> disks = new ArrayList<>();

    @Option(names = "--net-rate", paramLabel = "SPEC", converter = Converters.NetRateConverter.class,
            description = {"Limit the network: [rx=|tx=]BYTES/REFILL[+BURST] or ops:[rx=|tx=]COUNT/REFILL[+BURST], "
                    + "e.g. rx=1M/1s or tx=512K/100ms+1M. Repeat to combine (at most one bandwidth and one ops "
                    + "limit per direction; packet limits need tc's police action on this host).", "Default: unlimited."})
    List<RateSpec> netRates = new ArrayList<>();

    @Option(names = "--tenant", paramLabel = "NAME",
            description = {"The guest's tenant: on the bridge it reaches only guests of the same tenant (1..63 of a-z, "
                    + "0-9 and '-').", "Default: default."})
    Optional<String> tenant = Optional.empty();

    @Option(names = "--egress", paramLabel = "allow|deny",
            description = {"Whether the guest may reach anything off the bridge (the internet, the host's other "
                    + "networks); kiln's guest ports on the bridge address stay reachable either way.",
                "Default: allow."})
    Optional<String> egress = Optional.empty();

    @Option(names = "--disk-rate", paramLabel = "SPEC", converter = Converters.DiskRateConverter.class,
            description = {"Limit every extra disk: BYTES/REFILL[+BURST] or ops:COUNT/REFILL[+BURST], e.g. 10M/1s or "
                    + "ops:500/1s. May be given twice: once for bandwidth, once for ops.", "Default: unlimited."})
    List<RateSpec> diskRates = new ArrayList<>();

    @Option(names = "--driver", paramLabel = "DRIVER", defaultValue = "auto", completionCandidates = DriverNames.class,
            description = {"The VMM: ${COMPLETION-CANDIDATES}. 'auto' lets the daemon choose (QEMU today); 'fake' "
                    + "runs no VM at all (for tests); 'firecracker' is refused until that driver lands.",
                "Default: ${DEFAULT-VALUE}."})
    Driver driver;

    @Option(names = "--boot-timeout", paramLabel = "DURATION", defaultValue = "120s",
            converter = Converters.DurationConverter.class,
            description = {"How long the guest may take to become ready before the boot counts as failed.",
                "Default: ${DEFAULT-VALUE}."})
    Duration bootTimeout;

    @Option(names = {"-d", "--detach"},
            description = {"Return as soon as the VM is created (phase 'booting') instead of waiting for it to be "
                    + "ready.", "Default: wait."})
    boolean detach;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ObjectNode request = request(JsonNodeFactory.instance);
        JsonNode vm;
        BootProgress progress = BootProgress.start(root().terminal().stderrIsTerminal() && !detach, err(),
                "booting " + name.orElse("a VM"), root().clock());
        try {
            vm = client().createVm(request, !detach, bootTimeout);
        } finally {
            progress.close();
        }
        if (json.json) {
            printJson(vm);
        } else if (detach) {
            String n = VmViews.text(vm, "name");
            print(n + " is " + VmViews.text(vm, "phase") + " (id " + VmViews.text(vm, "id")
                    + "); follow it with 'kiln vm logs -f " + n + "'\n");
        } else {
            print(VmViews.summary(vm) + "\n");
        }
        return ExitCodes.OK;
    }

    /** The API's VmCreateRequest for these options. */
    ObjectNode request(JsonNodeFactory f) {
        ObjectNode r = f.objectNode();
        name.ifPresent(n -> r.put("name", n));
        r.put("vcpus", vcpus);
        r.put("memory", memory.toString());
        if (scratch != null) r.put("scratch", scratch.toString());
        if (hugePages) r.put("hugePages", true);
        if (!disks.isEmpty()) {
            ArrayNode array = r.putArray("disks");
            disks.forEach(d -> array.addObject().put("path", d.path().toString()).put("readOnly", d.readOnly()));
        }
        RateSpec.netRateJson(netRates, f).ifPresent(n -> r.set("netRate", n));
        RateSpec.diskRateJson(diskRates, f).ifPresent(d -> r.set("diskRate", d));
        r.put("driver", driver.name().toLowerCase(Locale.ROOT));
        r.put("bootTimeout", Durations.toApi(bootTimeout));
        tenant.ifPresent(t -> r.put("tenant", t));
        egress.ifPresent(e -> r.put("egress", e));
        return r;
    }
}
