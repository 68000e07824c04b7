package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code kiln vm resume}: {@code POST /v1/vms/{name}/resume}. */
@Command(name = "resume", sortOptions = false, usageHelpAutoWidth = true,
        header = "Resume a paused VM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Lets the virtual CPUs of a paused VM run again. Only a paused VM can be resumed (else exit code 4).",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm resume web1", "  kiln vm resume --json web1"})
final class VmResumeCommand extends VmPhaseCommand {
    @Override
    JsonNode act(DaemonClient client, String name) {
        return client.resume(name);
    }
}
