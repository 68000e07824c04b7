package dev.kiln.cli;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.host.fn.LambdaCredentials;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where kiln's commands find the secrets of the API over TCP: the bearer token from {@code $KILN_API_TOKEN}, else
 * from the daemon's state directory ({@code STATE/api-token}, written 0600 by {@code kiln up}); the Lambda access
 * key from {@code STATE/lambda-credentials}.
 */
final class ApiSecrets {
    private ApiSecrets() {
    }

    /** The API token for a daemon whose state directory is {@code stateDir}, from the environment or that directory. */
    static ApiToken token(Path stateDir) {
        return token(stateDir, System.getenv());
    }

    static ApiToken token(Path stateDir, Map<String, String> env) {
        try {
            Optional<String> given = Optional.ofNullable(env.get(ApiToken.ENV)).filter(t -> !t.isBlank());
            if (given.isPresent()) {
                return ApiToken.of(given.get(), "$" + ApiToken.ENV);
            }
            Path file = stateDir.resolve(ApiToken.FILE);
            return ApiToken.read(file).orElseThrow(() -> new CliException("UNAUTHENTICATED",
                    "no API token: " + file + " does not exist",
                    "the daemon writes it at 'kiln up'; pass the daemon's --state-dir, or set " + ApiToken.ENV
                            + " to the content of its api-token file", ExitCodes.UNAUTHENTICATED));
        } catch (ClusterException e) {
            // a malformed $KILN_API_TOKEN, or a file this user may not read (it is root's)
            throw new CliException("UNAUTHENTICATED", e.getMessage(), e.hint().orElse(""), ExitCodes.UNAUTHENTICATED,
                    e);
        }
    }

    /** The API token of the daemon {@code daemon} talks to (its health says where its state directory is). */
    static ApiToken token(DaemonClient daemon) {
        return token(Path.of(daemon.healthJson().path("stateDir").asText()));
    }

    /** The Lambda API's access key of the daemon whose state directory is {@code stateDir}. */
    static LambdaCredentials lambda(Path stateDir) {
        Path file = stateDir.resolve(LambdaCredentials.FILE);
        try {
            return LambdaCredentials.read(file).orElseThrow(() -> new CliException("NOT_FOUND",
                    "no Lambda credentials: " + file + " does not exist",
                    "the daemon writes them at 'kiln up'; pass the daemon's --state-dir", ExitCodes.NOT_FOUND));
        } catch (ClusterException e) {
            throw ClusterSubcommand.toCli(e);
        } catch (IllegalArgumentException e) {
            throw new CliException("INVALID", e.getMessage(), "", ExitCodes.FAILURE, e);
        }
    }
}
