package dev.kiln.cli;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln logs}: a container's output ({@code GET /v1/containers/{name}/logs}), or a cluster pod's. */
@Command(name = "logs", sortOptions = false, usageHelpAutoWidth = true,
        header = "Print a container's or a pod's output.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Prints what the container wrote to stdout and stderr. With -f, keeps printing until it exits.",
            "NAME is a container started with 'kiln run', or a cluster pod: 'pod/NAME' always means the pod, and a "
                    + "NAME that is no container is looked up as a pod in the cluster."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln logs web", "  kiln logs -f --stream stderr web", "  kiln logs pod/web-5f3a1-x8k2p",
            "  kiln logs -c httpd web-5f3a1-x8k2p"})
final class LogsCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The container's name, or pod/NAME for a pod.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the container exits. Default: print what is there and return.")
    boolean follow;

    @Option(names = "--stream", paramLabel = "WHICH", defaultValue = "both",
            description = "stdout, stderr or both (containers). Default: ${DEFAULT-VALUE}.")
    String stream;

    @Option(names = {"-c", "--container"}, paramLabel = "NAME",
            description = "For a pod: which of its containers. Default: its first.")
    String container;

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:KILN_SERVER:-http://127.0.0.1:7070}",
            description = "The cluster API, for pods. Default: ${DEFAULT-VALUE} (env KILN_SERVER).")
    URI server;

    @Override
    public Integer call() {
        if (name.startsWith("pod/")) {
            return podLogs(name.substring(4));
        }
        try {
            client().streamContainerLogs(name, follow, stream, this::print);
        } catch (CliException e) {
            if (e.exitCode() != ExitCodes.NOT_FOUND) {
                throw e;
            }
            try (ClusterClient cluster = ClusterClient.connect(server, ApiSecrets.token(root().stateDir()))) {
                cluster.get(dev.kiln.cluster.model.Kind.POD, name);
            } catch (ClusterException notAPod) {
                throw e; // neither a container nor a pod: the container's error says it best
            }
            return podLogs(name);
        }
        return ExitCodes.OK;
    }

    private int podLogs(String pod) {
        try (ClusterClient cluster = ClusterClient.connect(server, ApiSecrets.token(root().stateDir()));
             InputStream in = cluster.podLog(pod, Optional.ofNullable(container), follow)) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                print(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (ClusterException e) {
            throw ClusterSubcommand.toCli(e);
        } catch (IOException e) {
            throw new CliException("INTERNAL", "reading the logs of pod " + pod + ": " + e.getMessage(), "",
                    ExitCodes.FAILURE, e);
        }
        return ExitCodes.OK;
    }
}
