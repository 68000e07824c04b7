package dev.kiln.cli;

import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Kind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln scale KIND NAME --replicas N}. */
@Command(name = "scale", sortOptions = false, usageHelpAutoWidth = true,
        header = "Set the replicas of a deployment or a node pool.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Sets spec.replicas; the controllers then add or remove pods (or nodes) until the count "
                + "matches. Scaling a deployment down removes pods that are not ready first, then the newest.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln scale deployment web --replicas 5", "  kiln scale nodepool workers --replicas 3"})
final class ScaleCommand extends ClusterSubcommand {
    @Parameters(index = "0", paramLabel = "KIND", description = "deployment or nodepool.")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "Its name.")
    String name;

    @Option(names = "--replicas", paramLabel = "N", required = true,
            description = "The new number of replicas (0 or more). Default: none (required).")
    int replicas;

    @Override
    int run(ClusterClient cluster) {
        Kind k = Kind.parse(kind);
        cluster.scale(k, name, replicas);
        out().println(k.manifestName().toLowerCase() + "/" + name + " scaled to " + replicas);
        out().flush();
        return ExitCodes.OK;
    }
}
