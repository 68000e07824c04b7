package dev.kiln.cli;

import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Resource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kiln describe KIND NAME}: one resource in full, with its events. */
@Command(name = "describe", sortOptions = false, usageHelpAutoWidth = true,
        header = "Show one cluster resource in full, with its events.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints the resource as YAML (spec and status), then the events recorded about it, oldest "
                + "first: why a pod is Pending, when a node was lost, where a pod was placed.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln describe pod web-5f3a1-x8k2p", "  kiln describe node workers-b7kq2"})
final class DescribeCommand extends ClusterSubcommand {
    @Parameters(index = "0", paramLabel = "KIND", description = "hosts, nodepools, nodes, pods or deployments.")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "The resource's name.")
    String name;

    @Override
    int run(ClusterClient cluster) {
        Kind k = Kind.parse(kind);
        Resource r = cluster.get(k, name);
        StringBuilder out = new StringBuilder(Manifests.toYaml(r));
        List<Event> events = cluster.events(k, name);
        out.append("\nEvents:\n");
        if (events.isEmpty()) {
            out.append("  <none>\n");
        } else {
            Table t = ClusterTables.header(Kind.EVENT, false);
            Instant now = Instant.now();
            for (Event e : events) {
                t.row(ClusterTables.row(e, false, Map.of(), now));
            }
            t.render().lines().forEach(l -> out.append("  ").append(l).append('\n'));
        }
        print(out.toString());
        return ExitCodes.OK;
    }
}
