package dev.kiln.cli;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ClusterClient;
import java.net.URI;
import picocli.CommandLine.Option;

/**
 * A command that talks to the cluster API (not the daemon's socket): {@code --server}, and one mapping from the
 * cluster's errors to kiln's error output and exit codes.
 */
abstract class ClusterSubcommand extends KilnSubcommand {
    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:KILN_SERVER:-http://127.0.0.1:7070}",
            description = "The cluster API (started by 'kiln up'). Default: ${DEFAULT-VALUE} (env KILN_SERVER). Its "
                    + "token: $KILN_API_TOKEN, else STATE_DIR/api-token.")
    URI server;

    /** The command's work, with a client; cluster errors become kiln errors. */
    abstract int run(ClusterClient cluster);

    @Override
    public final Integer call() {
        try (ClusterClient cluster = ClusterClient.connect(server, ApiSecrets.token(root().stateDir()))) {
            return run(cluster);
        } catch (ClusterException e) {
            throw toCli(e);
        }
    }

    static CliException toCli(ClusterException e) {
        int exit = switch (e.code()) {
            case NOT_FOUND -> ExitCodes.NOT_FOUND;
            case CONFLICT, ALREADY_EXISTS, SUBNET_CONFLICT -> ExitCodes.CONFLICT;
            case INVALID, UNKNOWN_KIND, UNKNOWN_FIELD -> ExitCodes.USAGE;
            case UNAVAILABLE -> ExitCodes.DAEMON_UNREACHABLE;
            case UNAUTHENTICATED -> ExitCodes.UNAUTHENTICATED;
            case INTERNAL -> ExitCodes.FAILURE;
        };
        return new CliException(e.code().name(), e.getMessage(), e.hint().orElse(""), exit, e);
    }

    static ClusterException usage(String message, String hint) {
        return new ClusterException(ClusterError.INVALID, message, hint);
    }
}
