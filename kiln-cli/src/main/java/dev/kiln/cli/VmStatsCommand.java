package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kiln vm stats}: {@code GET /v1/vms/{name}/stats}. */
@Command(name = "stats", sortOptions = false, usageHelpAutoWidth = true,
        header = "Show a VM's resource use.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints the VMM process's resident memory and CPU time, the bytes the guest's network "
                + "received and sent, and bytes and operations read and written per disk.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm stats web1", "  kiln vm stats --json web1 | jq .rssBytes"})
final class VmStatsCommand extends KilnSubcommand {
    @Parameters(paramLabel = "NAME", description = "The VM's name or id.")
    String name;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode stats = client().stats(name);
        if (json.json) {
            printJson(stats);
        } else {
            print(VmViews.stats(name, stats));
        }
        return ExitCodes.OK;
    }
}
