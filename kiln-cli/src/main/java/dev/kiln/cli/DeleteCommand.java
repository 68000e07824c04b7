package dev.kiln.cli;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln delete KIND NAME...} or {@code kiln delete -f FILE}. */
@Command(name = "delete", sortOptions = false, usageHelpAutoWidth = true,
        header = "Delete cluster resources.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Deletes resources by kind and name, or those named in manifests (-f). What the cluster made "
                + "for them goes too: a deployment's pods, a pool's nodes (their microVMs are removed). A deleted pod "
                + "of a deployment is replaced, as the deployment still wants it."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln delete pod web-5f3a1-x8k2p", "  kiln delete -f examples/cluster/"})
final class DeleteCommand extends ClusterSubcommand {
    @Parameters(index = "0", paramLabel = "KIND", arity = "0..1", description = "The kind. Default: none (use -f).")
    String kind;

    @Parameters(index = "1..*", paramLabel = "NAME", arity = "0..*", description = "Names. Default: none (use -f).")
    List<String> names = new ArrayList<>();

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR",
            description = "Delete what these manifests name. Default: none.")
    List<Path> files;

    @Mixin
    JsonOption json;

    @Override
    int run(ClusterClient cluster) {
        List<Resource> targets = new ArrayList<>();
        if (files != null && !files.isEmpty()) {
            targets.addAll(ApplyCommand.read(files));
        } else if (kind != null && !names.isEmpty()) {
            Kind k = Kind.parse(kind);
            for (String n : names) {
                targets.add(cluster.get(k, n));
            }
        } else {
            throw new ClusterException(ClusterError.INVALID, "say what to delete: KIND NAME..., or -f FILE",
                    "e.g. kiln delete pod web-x, or kiln delete -f examples/cluster/");
        }
        var results = root().json().createArrayNode();
        for (Resource r : targets) {
            String what = r.kind().manifestName().toLowerCase() + "/" + r.name();
            try {
                cluster.delete(r.kind(), r.name());
                if (json.json) results.addObject().put("resource", what).put("deleted", true);
                else out().println(what + " deleted");
            } catch (ClusterException e) {
                if (e.code() != ClusterError.NOT_FOUND || files == null) {
                    throw e;
                }
                if (json.json) results.addObject().put("resource", what).put("deleted", false);
                else out().println(what + " not found");
            }
        }
        if (json.json) printJson(root().json().createObjectNode().set("deleted", results));
        out().flush();
        return ExitCodes.OK;
    }
}
