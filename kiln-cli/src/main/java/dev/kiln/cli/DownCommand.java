package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code kiln down}: the daemon leaves the cluster. */
@Command(name = "down", sortOptions = false, usageHelpAutoWidth = true,
        header = "Stop the cluster on this host.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Stops this host's cluster services (its runtime, the control plane, the cluster API and the "
                + "etcd kiln started) and removes the microVMs of its nodes with their pods. The desired state stays in "
                + "etcd's data (STATE/cluster/etcd): 'kiln up' brings it all back. The daemon keeps running, with any "
                + "VMs and containers started outside the cluster."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln down", "  kiln down --json"})
final class DownCommand extends KilnSubcommand {
    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode r = client().clusterDown();
        if (json.json) {
            printJson(r);
        } else {
            out().println(r.path("left").asBoolean() ? "cluster down: this host left; its node VMs are removed"
                    : "this host was not in a cluster; nothing to do");
        }
        out().flush();
        return ExitCodes.OK;
    }
}
