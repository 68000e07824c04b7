package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code kiln vm pause}: {@code POST /v1/vms/{name}/pause}. */
@Command(name = "pause", sortOptions = false, usageHelpAutoWidth = true,
        header = "Pause a VM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Freezes the guest's virtual CPUs; its memory, devices and network stay as they are until 'kiln vm resume'. Only a running VM can be paused (else exit code 4).",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm pause web1", "  kiln vm pause --json web1"})
final class VmPauseCommand extends VmPhaseCommand {
    @Override
    JsonNode act(DaemonClient client, String name) {
        return client.pause(name);
    }
}
