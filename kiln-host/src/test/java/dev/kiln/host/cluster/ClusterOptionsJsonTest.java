package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.cluster.store.EtcdTls;
import dev.kiln.host.Json;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cluster options as {@code STATE/cluster/cluster.json} keeps them and {@code POST /v1/cluster} takes them: the
 * etcd TLS files survive the round trip (a restarted daemon rejoins over TLS), and a file written before they existed
 * still reads.
 */
class ClusterOptionsJsonTest {
    @Test
    void etcdTlsFilesSurviveTheRoundTrip() throws Exception {
        ClusterOptions options = ClusterOptions.defaults().withEtcd(List.of(URI.create("https://10.0.0.5:2379")))
                .withEtcdTls(new EtcdTls("/pki/ca.crt", "/pki/client.crt", "/pki/client.key")).withHostName("h1");

        String json = Json.mapper().writeValueAsString(options);
        ClusterOptions back = Json.mapper().readValue(json, ClusterOptions.class);

        assertThat(json).contains("\"etcdTls\":{\"caFile\":\"/pki/ca.crt\",\"certFile\":\"/pki/client.crt\","
                + "\"keyFile\":\"/pki/client.key\"}");
        assertThat(back).isEqualTo(options);
        assertThat(back.withoutSecretFiles().etcdTls()).contains(new EtcdTls("/pki/ca.crt", "/pki/client.crt",
                "/pki/client.key"));
    }

    @Test
    void anAuthorityAloneAndAnOlderFileWithoutTlsRead() throws Exception {
        ClusterOptions caOnly = Json.mapper().readValue("{\"etcd\":[\"https://e1:2379\"],\"etcdTls\":{\"caFile\":"
                + "\"/pki/ca.crt\"}}", ClusterOptions.class);
        assertThat(caOnly.etcdTls()).contains(new EtcdTls("/pki/ca.crt", null, null));
        assertThat(caOnly.etcdTls().orElseThrow().clientCertificate()).isEmpty();

        ClusterOptions older = Json.mapper().readValue("{\"etcd\":[\"http://e1:2379\"],\"apiPort\":7070}",
                ClusterOptions.class);
        assertThat(older.etcdTls()).isEmpty();
        assertThat(older.withApiPort(7171).etcdTls()).isEmpty();
    }
}
