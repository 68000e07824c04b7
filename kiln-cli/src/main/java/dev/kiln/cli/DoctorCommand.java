package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code kiln doctor}: checks this host. */
@Command(name = "doctor", sortOptions = false, usageHelpAutoWidth = true,
        header = "Check that this host can run kiln VMs.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Prints one line per check, 'ok', 'warn' (works, but slower or with less) or 'fail' (kiln cannot "
                    + "work until it is fixed), with the reason and what to do:",
            "  root          kiln runs as root (for taps, bridges and /dev/kvm)",
            "  tun           /dev/net/tun exists",
            "  qemu          qemu-system-x86_64 is installed (and its version)",
            "  kernel        a /boot/vmlinuz-* to boot guests with",
            "  busybox, mke2fs, ip, tc, nft: the host tools kiln uses",
            "  guest-image   the guest image; built now if missing (progress on stderr)",
            "  accelerator   KVM if a probe guest boots under it within 15 s, else TCG",
            "  firecracker   whether firecracker and jailer are installed",
            "  daemon        whether the kiln daemon answers on --socket",
            "",
            "Exit code 0 unless a check fails (then 1)."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln doctor", "  kiln doctor --json | jq -r .accelerator.reason",
            "  KILN_STATE_DIR=/tmp/kiln kiln doctor"})
final class DoctorCommand extends KilnSubcommand {
    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        Main main = root();
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        Doctor.Report report = new Doctor(main.stateDir(), path, main.clock(), main.client())
                .run(step -> {
                    err().println("doctor: " + step);
                    err().flush();
                });
        if (json.json) {
            printJson(report.toJson(JsonNodeFactory.instance));
        } else {
            print(report.toText());
        }
        return report.failed() ? ExitCodes.FAILURE : ExitCodes.OK;
    }
}
