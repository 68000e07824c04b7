package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.store.KeyValue;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.host.fn.LambdaCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's API secrets, the same on every host: the bearer token of the API ({@link ApiToken}) and the access
 * key of the Lambda API ({@link LambdaCredentials}). The first host to start the cluster puts its own (from its
 * state directory, made there if absent) into the store under {@value #PREFIX}; every host, that one included,
 * then takes the store's and writes it to its state directory ({@code STATE/api-token},
 * {@code STATE/lambda-credentials}, mode 0600), where kiln's commands on that host find it. So a host that joins
 * adopts the cluster's secrets, and the CLI on any host works against any host.
 *
 * @param token       the bearer token every host's API requires
 * @param credentials the access key every host's Lambda API verifies signatures with
 */
public record ClusterSecrets(ApiToken token, LambdaCredentials credentials) {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSecrets.class);
    /** Where the store keeps them. */
    static final String PREFIX = "/kiln/auth/";
    static final String TOKEN_KEY = PREFIX + "api-token";
    static final String CREDENTIALS_KEY = PREFIX + "lambda-credentials";

    /** The cluster's secrets, established as the class comment says. */
    public static ClusterSecrets establish(Path stateDir, KvStore kv) {
        ApiToken token = shared(kv, TOKEN_KEY,
                () -> ApiToken.read(stateDir.resolve(ApiToken.FILE)).orElseGet(ApiToken::generate),
                ApiToken::value, text -> ApiToken.of(text, "the store's " + TOKEN_KEY));
        token.write(stateDir.resolve(ApiToken.FILE));
        LambdaCredentials credentials = shared(kv, CREDENTIALS_KEY,
                () -> LambdaCredentials.read(stateDir.resolve(LambdaCredentials.FILE))
                        .orElseGet(LambdaCredentials::generate),
                LambdaCredentials::json, text -> LambdaCredentials.parse(text, "the store's " + CREDENTIALS_KEY));
        credentials.write(stateDir.resolve(LambdaCredentials.FILE));
        return new ClusterSecrets(token, credentials);
    }

    /** The store's value at {@code key}; when there is none yet, {@code ours} becomes it. */
    private static <T> T shared(KvStore kv, String key, Supplier<T> ours, Function<T, String> text,
                                Function<String, T> parse) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<KeyValue> there = kv.get(key);
            if (there.isPresent()) {
                return parse.apply(new String(there.get().value(), StandardCharsets.UTF_8));
            }
            T mine = ours.get();
            try {
                kv.create(key, text.apply(mine).getBytes(StandardCharsets.UTF_8));
                LOG.info("this host's {} is now the cluster's", key.substring(PREFIX.length()));
                return mine;
            } catch (ClusterException e) {
                if (e.code() != ClusterError.ALREADY_EXISTS) {
                    throw e;
                }
                // another host was first: take its value
            }
        }
        throw new ClusterException(ClusterError.UNAVAILABLE, "cannot agree on the cluster's " + key,
                "start the daemon again");
    }
}
