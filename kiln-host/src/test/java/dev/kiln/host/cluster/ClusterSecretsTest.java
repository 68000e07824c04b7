package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.host.fn.LambdaCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's secrets in the store: the first host's become everyone's; a given file replaces them everywhere. */
class ClusterSecretsTest {
    @TempDir
    Path states;

    @Test
    void theFirstHostsSecretsBecomeTheClustersAndAGivenTokenReplacesThemOnEveryHost() throws Exception {
        KvStore kv = KvStore.memory(Clock.systemUTC());
        Path h1 = states.resolve("h1");
        Path h2 = states.resolve("h2");
        ApiToken own = ApiToken.loadOrCreate(h1); // h1 had a token before it formed the cluster
        ClusterSecrets first = ClusterSecrets.establish(h1, kv);
        ClusterSecrets second = ClusterSecrets.establish(h2, kv);
        assertThat(first.token().value()).isEqualTo(own.value());
        assertThat(second.token().value()).isEqualTo(own.value());
        assertThat(second.credentials()).isEqualTo(first.credentials());
        assertThat(ApiToken.read(h2.resolve(ApiToken.FILE)).orElseThrow().value()).isEqualTo(own.value());

        // h2 restarts with a token and an access key of the operator's: they become the cluster's
        ApiToken chosen = ApiToken.generate();
        Path tokenFile = states.resolve("chosen-token");
        chosen.write(tokenFile);
        LambdaCredentials keys = LambdaCredentials.generate();
        Path keysFile = states.resolve("chosen-keys.json");
        keys.write(keysFile);
        ClusterSecrets restarted = ClusterSecrets.establish(h2, kv, Optional.of(tokenFile), Optional.of(keysFile));
        assertThat(restarted.token().value()).isEqualTo(chosen.value());
        assertThat(restarted.credentials()).isEqualTo(keys);

        // h1 takes them on its next refresh, into memory and into its state directory
        assertThat(first.token().value()).isEqualTo(own.value());
        first.refresh();
        assertThat(first.token().value()).isEqualTo(chosen.value());
        assertThat(first.credentials()).isEqualTo(keys);
        assertThat(ApiToken.read(h1.resolve(ApiToken.FILE)).orElseThrow().value()).isEqualTo(chosen.value());
        assertThat(LambdaCredentials.read(h1.resolve(LambdaCredentials.FILE)).orElseThrow()).isEqualTo(keys);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                h1.resolve(ApiToken.FILE)))).isEqualTo("rw-------");
    }

    @Test
    void aMissingOrBadGivenFileIsAClearError() throws Exception {
        KvStore kv = KvStore.memory(Clock.systemUTC());
        ClusterException missing = catchThrowableOfType(ClusterException.class, () -> ClusterSecrets.establish(
                states.resolve("h1"), kv, Optional.of(states.resolve("nope")), Optional.empty()));
        assertThat(missing.code()).isEqualTo(ClusterError.INVALID);
        assertThat(missing.getMessage()).contains("--api-token-file").contains("does not exist");

        Path bad = states.resolve("bad.json");
        Files.writeString(bad, "{\"accessKeyId\": \"lower\"}");
        ClusterException garbled = catchThrowableOfType(ClusterException.class, () -> ClusterSecrets.establish(
                states.resolve("h1"), kv, Optional.empty(), Optional.of(bad)));
        assertThat(garbled.code()).isEqualTo(ClusterError.INVALID);
        assertThat(garbled.getMessage()).contains(bad.toString()).contains("does not hold kiln's Lambda credentials");
        assertThat(kv.get(ClusterSecrets.TOKEN_KEY)).as("nothing was put").isEmpty();
    }
}
