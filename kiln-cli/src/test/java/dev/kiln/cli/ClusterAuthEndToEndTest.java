package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.EtcdPki;
import dev.kiln.cluster.store.EtcdProcess;
import dev.kiln.cluster.store.EtcdTls;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.host.HostAgent;
import dev.kiln.host.HostConfig;
import dev.kiln.host.cluster.ClusterMode;
import dev.kiln.host.cluster.ClusterOptions;
import dev.kiln.host.fn.LambdaCredentials;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real daemon (the fake VMM driver: no VM boots) made a cluster member with its own etcd, as 'kiln up' does: the
 * API token and the Lambda access key appear in its state directory, root only; the API on TCP refuses requests
 * without the token; and kiln's commands work against it with nothing passed but the daemon's state directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterAuthEndToEndTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private Path state;
    private HostAgent agent;
    private ClusterMode.Status status;

    @BeforeAll
    void up() throws Exception {
        state = Files.createTempDirectory(Path.of("/tmp"), "kiln-auth-");
        byte[] b = new byte[2];
        RANDOM.nextBytes(b);
        HostConfig config = new HostConfig(state, state.resolve("kiln.sock"), Path.of("/var/tmp/kiln-test-images"),
                "kbr-au" + HexFormat.of().formatHex(b), "10.77." + (100 + RANDOM.nextInt(150)) + ".0/24",
                Optional.empty(), Duration.ofSeconds(120), true, HostConfig.DEFAULT_SCRATCH_BYTES,
                EtcdProcess.freePort(), Optional.empty(), true);
        agent = HostAgent.start(config);
        List<Integer> ports = EtcdProcess.freePorts(2);
        status = agent.cluster().up(ClusterOptions.defaults().withApiPort(ports.get(0)).withEtcdPort(ports.get(1))
                .withHostName("auth-host").withWarmPool(0).withFunctionPool(0));
    }

    @AfterAll
    void down() throws Exception {
        if (agent != null) {
            agent.cluster().down();
            agent.cleanupAndClose();
        }
        try (var walk = Files.walk(state)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theSecretsAreInTheStateDirectoryRootOnly() throws Exception {
        for (String name : List.of(ApiToken.FILE, LambdaCredentials.FILE)) {
            Path file = state.resolve(name);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(name)
                    .isEqualTo("rw-------");
            assertThat(Files.getOwner(file).getName()).isEqualTo("root");
        }
        assertThat(ApiToken.read(state.resolve(ApiToken.FILE)).orElseThrow().value()).hasSize(43);
    }

    @Test
    void theApiOnTcpNeedsTheToken() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            URI hosts = status.api().resolve("/apis/kiln.dev/v1/hosts");
            HttpResponse<String> bare = http.send(HttpRequest.newBuilder(hosts).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bare.statusCode()).isEqualTo(401);
            assertThat(bare.headers().firstValue("WWW-Authenticate")).isPresent();
            HttpResponse<String> lambda = http.send(HttpRequest.newBuilder(status.api().resolve(
                    "/2015-03-31/functions/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(lambda.statusCode()).isEqualTo(403);
            assertThat(lambda.headers().firstValue("X-Amzn-ErrorType")).contains("MissingAuthenticationTokenException");
            assertThat(http.send(HttpRequest.newBuilder(status.api().resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            String token = ApiToken.read(state.resolve(ApiToken.FILE)).orElseThrow().header();
            assertThat(http.send(HttpRequest.newBuilder(hosts).header("Authorization", token).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("auth-host");
        }
    }

    @Test
    void kilnsOwnEtcdSpeaksTlsAndLetsInOnlyThisHostsClientCertificate() throws Exception {
        assertThat(status.ownEtcd()).isTrue();
        URI etcd = status.etcd().getFirst();
        assertThat(etcd.getScheme()).isEqualTo("https");
        Path pki = state.resolve("cluster").resolve(ClusterMode.ETCD_PKI);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki))).isEqualTo("rwx------");
        for (String key : List.of(EtcdPki.CA_KEY, EtcdPki.MEMBER_KEY, EtcdPki.CLIENT_KEY)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve(key)))).as(key)
                    .isEqualTo("rw-------");
        }
        // what any local process could try: plain HTTP, and HTTPS without a client certificate
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            URI plain = URI.create("http://" + etcd.getAuthority() + "/v3/kv/range");
            // etcd closes the connection (or, in other versions, answers 400): either way, no data
            try {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(plain)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"Lw==\",\"range_end\":\"MA==\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as("plain HTTP to etcd's TLS port: %s", answer.body()).isEqualTo(400);
                assertThat(answer.body()).doesNotContain("kiln");
            } catch (java.io.IOException refused) {
                assertThat(refused).hasMessageContaining("received no bytes");
            }
        }
        EtcdTls noCertificate = new EtcdTls(pki.resolve(EtcdPki.CA_CERT).toString(), null, null);
        try (HttpClient http = HttpClient.newBuilder().sslContext(noCertificate.sslContext()).build()) {
            assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(etcd.resolve("/version")).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        }
        try (KvStore kv = KvStore.etcd(List.of(etcd), Duration.ofSeconds(3), Optional.of(noCertificate))) {
            assertThatThrownBy(() -> kv.list("/kiln/")).isInstanceOf(ClusterException.class);
        }
        // with this host's client certificate, the cluster's state is there
        EtcdTls kiln = new EtcdTls(pki.resolve(EtcdPki.CA_CERT).toString(), pki.resolve(EtcdPki.CLIENT_CERT).toString(),
                pki.resolve(EtcdPki.CLIENT_KEY).toString());
        try (KvStore kv = KvStore.etcd(List.of(etcd), Duration.ofSeconds(5), Optional.of(kiln))) {
            assertThat(kv.list("/kiln/")).isNotEmpty();
        }
    }

    @Test
    void kilnsCommandsFindTheTokenThemselves() {
        String server = status.api().toString();
        var hosts = CliRunner.run("--state-dir", state.toString(), "get", "hosts", "--server", server);
        assertThat(hosts.exitCode()).as(hosts.err()).isZero();
        assertThat(hosts.out()).contains("auth-host");
        var fns = CliRunner.run("--state-dir", state.toString(), "fn", "ls", "--server", server);
        assertThat(fns.exitCode()).as(fns.err()).isZero();
        var keys = CliRunner.run("--state-dir", state.toString(), "fn", "credentials");
        assertThat(keys.exitCode()).as(keys.err()).isZero();
        assertThat(keys.out()).startsWith("[kiln]\naws_access_key_id = AKIA");
    }
}
