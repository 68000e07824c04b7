package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln vm ls}: {@code GET /v1/vms} as a table. */
@Command(name = "ls", aliases = "list", sortOptions = false, usageHelpAutoWidth = true,
        header = "List VMs.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints one line per VM: NAME ID PHASE IP VCPUS MEMORY DRIVER AGE. Without -a, VMs that are "
                + "stopped or failed are left out (they keep their files until 'kiln vm rm').",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm ls", "  kiln vm ls -a", "  kiln vm ls --json | jq -r '.vms[].ip'"})
final class VmLsCommand extends KilnSubcommand {
    private static final Set<String> ENDED = Set.of("stopped", "failed");

    @Option(names = {"-a", "--all"}, description = {"Also list stopped and failed VMs.", "Default: only live ones."})
    boolean all;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        List<JsonNode> vms = client().listVms().stream()
                .filter(vm -> all || !ENDED.contains(vm.path("phase").asText()))
                .toList();
        if (json.json) {
            ObjectNode body = root().json().createObjectNode();
            body.putArray("vms").addAll(vms);
            printJson(body);
        } else {
            print(VmViews.table(vms, root().clock().instant()));
        }
        return ExitCodes.OK;
    }
}
