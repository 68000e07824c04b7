package dev.kiln.cli;

import dev.kiln.host.HostAgent;
import dev.kiln.host.HostConfig;
import dev.kiln.host.HostException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln daemon}: the per-host agent in the foreground. */
@Command(name = "daemon", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run the kiln host daemon (the per-host agent) in the foreground.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "The daemon owns every microVM on this host: it builds the guest image on first use (kernel, initramfs "
                    + "and root file system from the host's packages, cached by content), probes whether KVM can "
                    + "really run a guest (else QEMU's TCG emulation is used), creates the bridge and nftables "
                    + "table, re-adopts VMs an earlier daemon left running, sweeps leftovers that have no owner, "
                    + "and serves the API (docs/API.md) on a root-only Unix socket.",
            "",
            "Ctrl-C or SIGTERM stops the daemon and leaves the VMs running; the next daemon re-adopts them. "
                    + "With --cleanup it instead removes every VM, the bridge, taps and the nftables table, and exits."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {
            "  kiln daemon                                  serve on /run/kiln/kiln.sock",
            "  kiln --state-dir /tmp/k --socket /tmp/k/s daemon --bridge kbr1 --subnet 10.88.0.0/24",
            "  kiln daemon --cleanup                        remove all VMs and kiln's networking, then exit"})
public final class DaemonCommand extends KilnSubcommand {
    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = "kiln0",
            description = "The Linux bridge the VMs' taps join. Default: ${DEFAULT-VALUE}.")
    String bridge;

    @Option(names = "--subnet", paramLabel = "CIDR", defaultValue = "10.77.0.0/24",
            description = "The VMs' subnet; the bridge takes its first address as the gateway. Default: ${DEFAULT-VALUE}.")
    String subnet;

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "A guest kernel (bzImage) to use instead of the newest /boot/vmlinuz-* with modules.")
    Path kernel;

    @Option(names = "--boot-timeout", paramLabel = "DURATION", defaultValue = "120s",
            description = "How long a VM may take from create to guest ready, unless a request says otherwise. "
                    + "Default: ${DEFAULT-VALUE}.")
    String bootTimeout;

    @Option(names = "--enable-fake-driver",
            description = "Also offer the fake driver (no hypervisor; for control-logic tests).")
    boolean fake;

    @Option(names = "--cleanup",
            description = "Remove every VM and all of kiln's host networking (bridge, taps, nftables table), then exit.")
    boolean cleanup;

    @Override
    public Integer call() throws InterruptedException {
        HostConfig config = HostConfig.defaults()
                .withStateDir(root().stateDir())
                .withSocket(root().socket())
                .withNetwork(bridge, subnet)
                .withKernel(Optional.ofNullable(kernel))
                .withFakeDriver(fake)
                .withBootTimeout(dev.kiln.host.Durations.parse(bootTimeout));
        HostAgent agent;
        try {
            agent = HostAgent.start(config);
        } catch (HostException e) {
            throw new CliException(e.code().name(), e.getMessage(), e.hint(), e.code().exitCode(), e);
        }
        if (cleanup) {
            int n = agent.vms().list().size();
            agent.cleanupAndClose();
            err().println("removed " + n + " VM(s) and kiln's host networking on " + bridge);
            return 0;
        }
        Thread hook = new Thread(agent::close, "kiln-daemon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        agent.awaitShutdown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

}
