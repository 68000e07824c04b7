package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kiln.cluster.api.ClusterClient;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.Resource;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln get KIND [NAME]}: lists cluster resources. */
@Command(name = "get", sortOptions = false, usageHelpAutoWidth = true,
        header = "List cluster resources.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Lists resources of one kind, or shows one: hosts, nodepools (np), nodes, pods (po), deployments "
                + "(deploy) or events (ev). '-o wide' adds columns (for pods: the microVM each runs in, its address and "
                + "host); '-o json' and '-o yaml' print the resources as the API holds them.",
                "With -w the command keeps running and prints a line for every change, until interrupted."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln get pods -o wide", "  kiln get deployments web -o yaml", "  kiln get nodes -w",
            "  kiln get pods -l app=web"})
final class GetCommand extends ClusterSubcommand {
    @Parameters(index = "0", paramLabel = "KIND", description = "hosts, nodepools, nodes, pods, deployments or events.")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "One resource's name. Default: all.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, wide, json or yaml. Default: ${DEFAULT-VALUE}.")
    String output;

    @Option(names = {"-l", "--selector"}, paramLabel = "KEY=VALUE[,...]", split = ",",
            description = "Only resources with these labels. Default: all.")
    Map<String, String> selector;

    @Option(names = {"-w", "--watch"}, description = "After listing, print every change until interrupted. Default: off.")
    boolean watch;

    @Override
    int run(ClusterClient cluster) {
        Kind k = Kind.parse(kind);
        if (!List.of("table", "wide", "json", "yaml").contains(output)) {
            throw usage("unknown output format '" + output + "'", "use table, wide, json or yaml");
        }
        ClusterClient.Listing listing = name != null && !watch ? null
                : cluster.listing(k, selector == null || name != null ? Map.of() : selector);
        List<Resource> items = name != null ? List.of(cluster.get(k, name)) : listing.items();
        Map<String, Node> nodes = new HashMap<>();
        if (k == Kind.POD && output.equals("wide")) {
            cluster.list(Kind.NODE, Map.of()).forEach(n -> nodes.put(n.name(), (Node) n));
        }
        switch (output) {
            case "json" -> {
                if (name != null) {
                    print(Manifests.toPrettyJson(items.getFirst()) + "\n");
                } else {
                    ArrayNode array = root().json().createArrayNode();
                    for (Resource r : items) {
                        try {
                            array.add(root().json().readTree(Manifests.toJson(r)));
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    printJson(root().json().createObjectNode().put("kind", k.manifestName() + "List").set("items", array));
                }
            }
            case "yaml" -> items.forEach(r -> print("---\n" + Manifests.toYaml(r)));
            default -> {
                if (items.isEmpty() && !watch) {
                    err().println("no " + k.plural() + " found");
                    err().flush();
                } else {
                    print(ClusterTables.render(k, items, output.equals("wide"), nodes, Instant.now()));
                }
            }
        }
        if (watch) {
            // from the list's version: what the table showed is not printed again, and nothing after it is missed
            follow(cluster, k, nodes, Optional.of(listing.resourceVersion()).filter(v -> !v.isEmpty()));
        }
        return ExitCodes.OK;
    }

    private void follow(ClusterClient cluster, Kind k, Map<String, Node> nodes, Optional<String> from) {
        CountDownLatch ended = new CountDownLatch(1);
        try (AutoCloseable w = cluster.watch(k, from, e -> {
            if (e.object().isEmpty()) {
                err().println("watch ended: " + e.message().orElse("?"));
                err().flush();
                ended.countDown();
                return;
            }
            Resource r = e.object().get();
            if (name != null && !r.name().equals(name)) {
                return;
            }
            switch (output) {
                case "json" -> print(Manifests.toJsonString(r) + "\n");
                case "yaml" -> print("---\n" + Manifests.toYaml(r));
                default -> {
                    String[] cells = ClusterTables.row(r, output.equals("wide"), nodes, Instant.now());
                    print(e.type() + "   " + String.join("   ", cells) + "\n");
                }
            }
        })) {
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new CliException("INTERNAL", "watch failed: " + e.getMessage(), "", ExitCodes.FAILURE, e);
        }
    }
}
