package dev.kiln.cli;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.model.Validation;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln apply -f FILE|DIR}: creates or updates resources from manifests. */
@Command(name = "apply", sortOptions = false, usageHelpAutoWidth = true,
        header = "Create or update cluster resources from manifests.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Reads YAML or JSON manifests (several documents per file, separated by ---; a directory means "
                + "its *.yaml, *.yml and *.json files in name order) and makes the cluster hold them: what does not "
                + "exist is created; what exists gets the manifest's spec, labels and annotations, and keeps its status.",
                "Every document is read and validated before anything is sent: one bad document (an unknown kind or "
                + "field, a negative replica count, ...) changes nothing and is reported with its file, document and "
                + "field."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln apply -f examples/cluster/", "  kiln apply -f web.yaml -f pool.yaml --json"})
final class ApplyCommand extends ClusterSubcommand {
    @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR", required = true,
            description = "A manifest file, or a directory of them; repeat for more. Default: none (required).")
    List<Path> files;

    @Mixin
    JsonOption json;

    @Override
    int run(ClusterClient cluster) {
        List<Resource> resources = read(files);
        ArrayNode results = root().json().createArrayNode();
        for (Resource r : resources) {
            ClusterClient.ApplyResult result = cluster.apply(r);
            String what = r.kind().manifestName().toLowerCase() + "/" + r.name();
            if (json.json) {
                results.addObject().put("resource", what).put("action", result.action());
            } else {
                out().println(what + " " + result.action());
            }
        }
        if (json.json) {
            printJson(root().json().createObjectNode().set("applied", results));
        }
        out().flush();
        return ExitCodes.OK;
    }

    /** Every document of every file, each validated; the first problem stops it all. */
    static List<Resource> read(List<Path> paths) {
        List<Resource> all = new ArrayList<>();
        for (Path file : expand(paths)) {
            String text;
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new CliException("FILE_NOT_FOUND", "cannot read " + file + ": " + e.getMessage(),
                        "check the path", ExitCodes.FILE_NOT_FOUND, e);
            }
            List<Resource> docs = Manifests.read(text, file.toString());
            for (int i = 0; i < docs.size(); i++) {
                try {
                    Validation.check(docs.get(i));
                } catch (ClusterException e) {
                    throw new ClusterException(e.code(), file + ", document " + (i + 1) + " ("
                            + docs.get(i).kind().manifestName() + " " + docs.get(i).name() + "): " + e.getMessage(),
                            e.hint().orElse("fix the manifest and apply again; nothing was changed"));
                }
            }
            all.addAll(docs);
        }
        if (all.isEmpty()) {
            throw new ClusterException(ClusterError.INVALID, "no manifests in " + paths,
                    "give YAML or JSON files with apiVersion, kind, metadata and spec");
        }
        return all;
    }

    private static List<Path> expand(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.toString().matches(".*\\.(ya?ml|json)$")).filter(Files::isRegularFile).sorted()
                            .forEach(files::add);
                } catch (IOException e) {
                    throw new CliException("FILE_NOT_FOUND", "cannot list " + p + ": " + e.getMessage(), "",
                            ExitCodes.FILE_NOT_FOUND, e);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new CliException("FILE_NOT_FOUND", "no such file or directory: " + p, "check the path",
                        ExitCodes.FILE_NOT_FOUND);
            }
        }
        return files;
    }
}
