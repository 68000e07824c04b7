package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd for kiln only: the authority and certificates {@link EtcdPki} makes, and a real etcd started with them that
 * lets kiln's client in and turns away a client without a certificate, one with another authority's certificate,
 * and plain HTTP.
 */
class EtcdTlsTest {
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration CALL = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void theAuthorityAndCertificatesAreRootOnlyAndChainToIt() throws Exception {
        EtcdPki pki = EtcdPki.ensure(dir.resolve("pki"), List.of("10.0.0.5", "etcd1.example.com"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.directory()))).isEqualTo("rwx------");
        for (Path key : List.of(pki.directory().resolve(EtcdPki.CA_KEY), pki.memberKey(), pki.clientKey())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).as("%s", key)
                    .isEqualTo("rw-------");
            assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        }
        X509Certificate ca = EtcdTls.readCertificate(pki.caCert());
        X509Certificate member = EtcdTls.readCertificate(pki.memberCert());
        X509Certificate client = EtcdTls.readCertificate(pki.clientCert());
        member.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(member.getBasicConstraints()).isEqualTo(-1);
        assertThat(EtcdPki.subjectNames(member))
                .containsExactlyInAnyOrder("127.0.0.1", "localhost", "10.0.0.5", "etcd1.example.com");
        assertThat(member.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

        // again: nothing changes; with one more address: only the member certificate is issued again, naming all
        Map<String, String> before = contents(pki.directory());
        EtcdPki.ensure(dir.resolve("pki"), List.of("10.0.0.5"));
        assertThat(contents(pki.directory())).isEqualTo(before);
        EtcdPki.ensure(dir.resolve("pki"), List.of("10.0.0.6"));
        Map<String, String> after = contents(pki.directory());
        assertThat(after.get(EtcdPki.MEMBER_CERT)).isNotEqualTo(before.get(EtcdPki.MEMBER_CERT));
        assertThat(after).containsEntry(EtcdPki.CA_CERT, before.get(EtcdPki.CA_CERT))
                .containsEntry(EtcdPki.CLIENT_CERT, before.get(EtcdPki.CLIENT_CERT));
        assertThat(EtcdPki.subjectNames(EtcdTls.readCertificate(pki.memberCert())))
                .contains("10.0.0.5", "10.0.0.6", "etcd1.example.com", "127.0.0.1");

        ClusterException bad = catchThrowableOfType(ClusterException.class,
                () -> EtcdPki.ensure(dir.resolve("other"), List.of("not a name!")));
        assertThat(bad.code()).isEqualTo(ClusterError.INVALID);
        assertThat(bad.getMessage()).contains("'not a name!'");
        assertThat(dir.resolve("other")).doesNotExist();
    }

    @Test
    void etcdLetsInKilnsCertificateOnlyAndRefusesEveryOtherClient() throws Exception {
        EtcdPki pki = EtcdPki.ensure(dir.resolve("pki"), List.of());
        EtcdPki stranger = EtcdPki.ensure(dir.resolve("stranger"), List.of());
        List<Integer> ports = EtcdProcess.freePorts(2);
        try (EtcdProcess etcd = EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1), START,
                dir.resolve("etcd.log"), Optional.of(pki))) {
            assertThat(etcd.endpoint()).hasToString("https://127.0.0.1:" + ports.get(0));
            assertThat(etcd.tls()).contains(pki.clientTls());

            try (KvStore kiln = KvStore.etcd(List.of(etcd.endpoint()), CALL, etcd.tls())) {
                kiln.create("/kiln/secret", "token".getBytes(StandardCharsets.UTF_8));
                assertThat(kiln.get("/kiln/secret")).map(kv -> new String(kv.value(), StandardCharsets.UTF_8))
                        .contains("token");
            }
            // two endpoints with different names for the one member: each is checked against the certificate
            try (KvStore kiln = KvStore.etcd(List.of(etcd.endpoint(), URI.create("https://localhost:" + ports.get(0))),
                    CALL, etcd.tls())) {
                assertThat(kiln.get("/kiln/secret")).isPresent();
            }

            EtcdTls noCertificate = new EtcdTls(pki.caCert().toString(), null, null);
            EtcdTls otherAuthority = new EtcdTls(pki.caCert().toString(), stranger.clientCert().toString(),
                    stranger.clientKey().toString());
            for (EtcdTls tls : List.of(noCertificate, otherAuthority)) {
                try (KvStore refused = KvStore.etcd(List.of(etcd.endpoint()), CALL, Optional.of(tls))) {
                    ClusterException e = catchThrowableOfType(ClusterException.class, () -> refused.get("/kiln/secret"));
                    assertThat(e).as("a client with %s", tls).isNotNull();
                    assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
                }
            }
            // plain HTTP to the TLS port
            URI plain = URI.create("http://127.0.0.1:" + ports.get(0));
            try (KvStore refused = KvStore.etcd(List.of(plain), CALL)) {
                assertThat(catchThrowableOfType(ClusterException.class, () -> refused.get("/kiln/secret"))).isNotNull();
            }
            // and HTTPS without a client certificate, as curl or a browser would try it
            HttpClient http = HttpClient.newBuilder().sslContext(noCertificate.sslContext())
                    .connectTimeout(CALL).build();
            IOException e = catchThrowableOfType(IOException.class, () -> http.send(HttpRequest.newBuilder(
                    etcd.endpoint().resolve("/version")).timeout(CALL).build(), HttpResponse.BodyHandlers.ofString()));
            assertThat(e).as("GET /version without a client certificate").isNotNull();
            HttpClient kilnHttp = HttpClient.newBuilder().sslContext(pki.clientTls().sslContext()).build();
            assertThat(kilnHttp.send(HttpRequest.newBuilder(etcd.endpoint().resolve("/version")).timeout(CALL).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("etcdserver");
        }
        assertThat(EtcdProcess.running(dir.resolve("data"))).isEmpty();
    }

    @Test
    void tlsFilesAndEndpointsThatDoNotFitAreNamed() throws IOException {
        EtcdPki pki = EtcdPki.ensure(dir.resolve("pki"), List.of());
        URI https = URI.create("https://127.0.0.1:9");
        URI http = URI.create("http://127.0.0.1:9");

        assertThat(catchThrowableOfType(ClusterException.class, () -> KvStore.etcd(List.of(https), CALL))
                .getMessage()).contains("speaks TLS", "no authority");
        assertThat(catchThrowableOfType(ClusterException.class,
                () -> KvStore.etcd(List.of(http), CALL, Optional.of(pki.clientTls()))).getMessage())
                .contains("not https://");
        assertThat(catchThrowableOfType(ClusterException.class,
                () -> new EtcdTls(pki.caCert().toString(), pki.clientCert().toString(), null)).getMessage())
                .contains("a certificate but no key");
        Path missing = dir.resolve("nope.crt");
        ClusterException e = catchThrowableOfType(ClusterException.class, () -> KvStore.etcd(List.of(https), CALL,
                Optional.of(new EtcdTls(missing.toString(), null, null))));
        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
        assertThat(e.getMessage()).contains("no such file: " + missing);
        ClusterException notAKey = catchThrowableOfType(ClusterException.class, () -> new EtcdTls(
                pki.caCert().toString(), pki.clientCert().toString(), pki.clientCert().toString()).check());
        assertThat(notAKey.getMessage()).contains("holds no unencrypted private key");
        ClusterException otherKey = catchThrowableOfType(ClusterException.class, () -> new EtcdTls(
                pki.caCert().toString(), pki.clientCert().toString(), pki.memberKey().toString()).check());
        assertThat(otherKey.getMessage()).contains("does not belong to the certificate " + pki.clientCert());
        assertThat(new EtcdTls(pki.caCert().toString(), pki.clientCert().toString(), pki.clientKey().toString())
                .check()).isNotNull();
        Path openKey = dir.resolve("open.key");
        Files.copy(pki.clientKey(), openKey);
        Files.setPosixFilePermissions(openKey, PosixFilePermissions.fromString("rw-r--r--"));
        ClusterException readable = catchThrowableOfType(ClusterException.class, () -> new EtcdTls(
                pki.caCert().toString(), pki.clientCert().toString(), openKey.toString()).check());
        assertThat(readable.getMessage()).contains("is readable by others (mode rw-r--r--)");
        assertThat(readable.hint()).contains("chmod 600 " + openKey);
    }

    private static Map<String, String> contents(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.collect(Collectors.toMap(p -> p.getFileName().toString(), p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
    }
}
