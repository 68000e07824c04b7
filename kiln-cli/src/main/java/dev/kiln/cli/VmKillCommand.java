package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code kiln vm kill}: {@code POST /v1/vms/{name}/kill}. */
@Command(name = "kill", sortOptions = false, usageHelpAutoWidth = true,
        header = "Kill a VM's VMM at once.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Kills the VMM process (SIGKILL) without asking the guest to shut down; the VM ends up stopped and keeps its files until 'kiln vm rm'. Prefer 'kiln vm stop', which lets the guest shut down cleanly.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm kill web1", "  kiln vm kill --json web1"})
final class VmKillCommand extends VmPhaseCommand {
    @Override
    JsonNode act(DaemonClient client, String name) {
        return client.kill(name);
    }
}
