package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.store.KeyValue;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.host.fn.LambdaCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
 * <p>A host started with a secret of its own ({@code kiln up --api-token-file}, {@code --lambda-credentials-file})
 * replaces the store's with it. Every host reads the store again every {@link #REFRESH} ({@link #start()}), so such
 * a change reaches all of them within seconds; until then, another host's forwarded calls may be refused.
 */
public final class ClusterSecrets implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSecrets.class);
    /** Where the store keeps them. */
    static final String PREFIX = "/kiln/auth/";
    static final String TOKEN_KEY = PREFIX + "api-token";
    static final String CREDENTIALS_KEY = PREFIX + "lambda-credentials";
    /** How often every host reads the secrets from the store again. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    private final Path stateDir;
    private final KvStore kv;
    private volatile ApiToken token;
    private volatile LambdaCredentials credentials;
    private volatile Thread loop;

    private ClusterSecrets(Path stateDir, KvStore kv, ApiToken token, LambdaCredentials credentials) {
        this.stateDir = stateDir;
        this.kv = kv;
        this.token = token;
        this.credentials = credentials;
    }

    /** The cluster's secrets, established as the class comment says (none of this host's own given). */
    public static ClusterSecrets establish(Path stateDir, KvStore kv) {
        return establish(stateDir, kv, Optional.empty(), Optional.empty());
    }

    /**
     * The cluster's secrets; a given token or access key file replaces the store's.
     *
     * @throws ClusterException INVALID when a given file is missing or does not hold a token or access key
     */
    public static ClusterSecrets establish(Path stateDir, KvStore kv, Optional<Path> tokenFile,
                                           Optional<Path> credentialsFile) {
        tokenFile.ifPresent(f -> kv.put(TOKEN_KEY, given(f, "--api-token-file", ApiToken::read).value()
                .getBytes(StandardCharsets.UTF_8)));
        credentialsFile.ifPresent(f -> kv.put(CREDENTIALS_KEY, given(f, "--lambda-credentials-file", file -> {
            try {
                return LambdaCredentials.read(file);
            } catch (IllegalArgumentException e) {
                throw new ClusterException(ClusterError.INVALID, e.getMessage(), "write {\"accessKeyId\": "
                        + "\"AKIA...\", \"secretAccessKey\": \"...\"} into it");
            }
        }).json().getBytes(StandardCharsets.UTF_8)));
        ApiToken token = shared(kv, TOKEN_KEY,
                () -> ApiToken.read(stateDir.resolve(ApiToken.FILE)).orElseGet(ApiToken::generate),
                ApiToken::value, ClusterSecrets::parseToken);
        LambdaCredentials credentials = shared(kv, CREDENTIALS_KEY,
                () -> LambdaCredentials.read(stateDir.resolve(LambdaCredentials.FILE))
                        .orElseGet(LambdaCredentials::generate),
                LambdaCredentials::json, ClusterSecrets::parseCredentials);
        ClusterSecrets secrets = new ClusterSecrets(stateDir, kv, token, credentials);
        secrets.writeFiles();
        return secrets;
    }

    private static <T> T given(Path file, String option, Function<Path, Optional<T>> read) {
        return read.apply(file).orElseThrow(() -> new ClusterException(ClusterError.INVALID, option + " " + file
                + " does not exist", "give a file that exists (root only, mode 0600), or leave the option out"));
    }

    private static ApiToken parseToken(String text) {
        return ApiToken.of(text, "the store's " + TOKEN_KEY);
    }

    private static LambdaCredentials parseCredentials(String text) {
        return LambdaCredentials.parse(text, "the store's " + CREDENTIALS_KEY);
    }

    /** The bearer token every host's API requires now. */
    public ApiToken token() {
        return token;
    }

    /** The access key every host's Lambda API verifies signatures with now. */
    public LambdaCredentials credentials() {
        return credentials;
    }

    /** Reads the store's secrets again; a change is taken, and written to the state directory. */
    void refresh() {
        try {
            Optional<ApiToken> t = kv.get(TOKEN_KEY).map(kv -> parseToken(text(kv)));
            Optional<LambdaCredentials> c = kv.get(CREDENTIALS_KEY).map(kv -> parseCredentials(text(kv)));
            boolean changed = t.isPresent() && !t.get().value().equals(token.value())
                    || c.isPresent() && !c.get().equals(credentials);
            if (changed) {
                t.ifPresent(v -> token = v);
                c.ifPresent(v -> credentials = v);
                writeFiles();
                LOG.info("the cluster's API secrets changed; {} and {} written again", ApiToken.FILE,
                        LambdaCredentials.FILE);
            }
        } catch (RuntimeException e) {
            LOG.debug("the cluster's secrets were not read again: {}", e.getMessage());
        }
    }

    /** Refreshes every {@link #REFRESH} in the background until {@link #close()}. */
    ClusterSecrets start() {
        loop = Thread.ofPlatform().daemon().name("kiln-cluster-secrets").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(REFRESH);
                } catch (InterruptedException e) {
                    return;
                }
                refresh();
            }
        });
        return this;
    }

    @Override
    public void close() {
        Thread t = loop;
        if (t != null) {
            t.interrupt();
        }
    }

    private void writeFiles() {
        token.write(stateDir.resolve(ApiToken.FILE));
        credentials.write(stateDir.resolve(LambdaCredentials.FILE));
    }

    private static String text(KeyValue kv) {
        return new String(kv.value(), StandardCharsets.UTF_8);
    }

    /** The store's value at {@code key}; when there is none yet, {@code ours} becomes it. */
    private static <T> T shared(KvStore kv, String key, Supplier<T> ours, Function<T, String> text,
                                Function<String, T> parse) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<KeyValue> there = kv.get(key);
            if (there.isPresent()) {
                return parse.apply(text(there.get()));
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
