package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kiln vm inspect}: {@code GET /v1/vms/{name}}, every field. */
@Command(name = "inspect", sortOptions = false, usageHelpAutoWidth = true,
        header = "Show everything about a VM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints every field the daemon reports for a VM: driver, accelerator, phase and the cause of a "
                + "stop or failure, vCPUs, memory and whether it is on huge pages, network (IP, gateway, MAC, tap, "
                + "bridge; the guest's tenant and egress policy, and whether this host enforces them: 'off' when the "
                + "daemon runs with --no-guest-isolation), VMM process id, timestamps and boot time, disks, rate "
                + "limits, and the files the VM has (console log, QMP socket, VMM log).",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm inspect web1", "  kiln vm inspect --json 3f9a1c2b7d40 | jq .files.console"})
final class VmInspectCommand extends KilnSubcommand {
    @Parameters(paramLabel = "NAME", description = "The VM's name or id.")
    String name;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode vm = client().vm(name);
        if (json.json) {
            printJson(vm);
        } else {
            print(VmViews.inspect(vm, root().clock().instant()));
        }
        return ExitCodes.OK;
    }
}
