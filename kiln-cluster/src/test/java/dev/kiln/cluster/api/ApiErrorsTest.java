package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.ManifestException;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.store.EtcdProcess;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Status codes and Status bodies, seen through raw HTTP, and the exceptions the client rebuilds from them. */
class ApiErrorsTest {
    static final String DEPLOYMENTS = "/apis/kiln.dev/v1/deployments";

    ResourceStore store;
    ClusterApiServer server;
    URI uri;

    @BeforeEach
    void start() {
        store = new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC());
        server = ClusterApiServer.start(store, "127.0.0.1", 0, Optional.empty());
        uri = server.uri();
    }

    @AfterEach
    void stop() {
        server.close();
        store.kv().close();
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return ApiJson.TREE.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** The Status body of {@code r}, checked to be well formed and to agree with the status line. */
    static JsonNode status(HttpResponse<String> r, int code, String reason) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(code);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        JsonNode n = json(r);
        assertThat(n.path("kind").asText()).isEqualTo("Status");
        assertThat(n.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(n.path("status").asText()).isEqualTo("Failure");
        assertThat(n.path("code").asInt()).isEqualTo(code);
        assertThat(n.path("reason").asText()).isEqualTo(reason);
        assertThat(n.path("message").asText()).isNotEmpty();
        return n;
    }

    @Test
    void createAnswers201WithTheStoredResourceFromYamlOrJson() {
        HttpResponse<String> yaml = Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web"));
        assertThat(yaml.statusCode()).as(yaml.body()).isEqualTo(201);
        assertThat(json(yaml).path("metadata").path("uid").asText()).isNotEmpty();

        String body = Manifests.toJsonString(Fixtures.deployment("api", 1, "api"));
        HttpResponse<String> js = Fixtures.send(server, "POST", DEPLOYMENTS, "application/json; charset=utf-8", body);
        assertThat(js.statusCode()).as(js.body()).isEqualTo(201);

        HttpResponse<String> list = Fixtures.get(server, DEPLOYMENTS);
        JsonNode n = json(list);
        assertThat(n.path("apiVersion").asText()).isEqualTo("kiln.dev/v1");
        assertThat(n.path("kind").asText()).isEqualTo("DeploymentList");
        assertThat(n.path("metadata").path("resourceVersion").asLong()).isEqualTo(store.kv().revision());
        assertThat(n.path("items")).hasSize(2);
    }

    @Test
    void unknownKindInTheBodyIs400() {
        String body = Fixtures.deploymentYaml("web", 1, "web").replace("kind: Deployment", "kind: Deploymnet");

        JsonNode n = status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", body), 400, "UNKNOWN_KIND");

        assertThat(n.path("message").asText()).contains("unknown kind 'Deploymnet'");
        assertThat(n.path("hint").asText()).isEqualTo("did you mean 'Deployment'?");
        assertThat(n.path("path").asText()).isEqualTo("kind");
    }

    @Test
    void unknownFieldIs400WithItsPath() {
        String body = Fixtures.deploymentYaml("web", 1, "web").replace("  replicas: 1", "  replica: 1");

        JsonNode n = status(Fixtures.send(server, "POST", DEPLOYMENTS, "text/yaml", body), 400, "UNKNOWN_FIELD");

        assertThat(n.path("path").asText()).isEqualTo("spec.replica");
        assertThat(n.path("hint").asText()).isEqualTo("did you mean 'replicas'?");

        ClusterException e = ApiErrors.fromResponse(400, n.toString().getBytes(), "POST");
        assertThat(e).isInstanceOfSatisfying(ManifestException.class,
                m -> assertThat(m.path()).contains("spec.replica"));
        assertThat(e.code()).isEqualTo(ClusterError.UNKNOWN_FIELD);
    }

    @Test
    void invalidValuesAre422() {
        JsonNode n = status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml",
                Fixtures.deploymentYaml("web", -1, "web")), 422, "INVALID");

        assertThat(n.path("message").asText()).contains("spec.replicas: must be >= 0, got -1");
        assertThat(n.path("hint").asText()).isEqualTo("fix the listed fields and apply again");
    }

    @Test
    void negativeScaleIs422WithThePath() {
        Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", Fixtures.deploymentYaml("web", 1, "web"));

        JsonNode n = status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web/scale", "application/json",
                "{\"replicas\":-1}"), 422, "INVALID");

        assertThat(n.path("message").asText()).isEqualTo("spec.replicas: must be >= 0, got -1");
        assertThat(n.path("path").asText()).isEqualTo("spec.replicas");
        status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web/scale", "application/json", "{\"replica\":1}"),
                400, "UNKNOWN_FIELD");
        status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web/scale", "application/json", "{\"replicas\":\"2\"}"),
                400, "INVALID");
        assertThat(status(Fixtures.send(server, "PUT", "/apis/kiln.dev/v1/hosts/h/scale", "application/json",
                "{\"replicas\":1}"), 404, "NOT_FOUND").path("message").asText())
                .isEqualTo("hosts cannot be scaled: only deployments and nodepools have a scale subresource");
    }

    @Test
    void aBodyOfAnotherKindThanThePathIs400NamingBoth() {
        JsonNode n = status(Fixtures.send(server, "POST", "/apis/kiln.dev/v1/nodepools", "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web")), 400, "INVALID");

        assertThat(n.path("message").asText())
                .isEqualTo("the body is a Deployment but the path is for nodepools (NodePool)");
        assertThat(n.path("hint").asText()).isEqualTo("send it to /apis/kiln.dev/v1/deployments");
    }

    @Test
    void aBodyNamingAnotherResourceThanThePathIs400() {
        JsonNode n = status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/api?apply=true", "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web")), 400, "INVALID");

        assertThat(n.path("message").asText()).isEqualTo("the body names deployment 'web' but the path names 'api'");
    }

    @Test
    void malformedYamlIs400WithTheLine() {
        String body = "apiVersion: kiln.dev/v1\nkind: Deployment\nmetadata:\n  name: [web\n";

        JsonNode n = status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", body), 400, "INVALID");

        assertThat(n.path("message").asText()).contains("malformed YAML at line ");
        JsonNode j = status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/json", "{\"kind\": }"), 400,
                "INVALID");
        assertThat(j.path("message").asText()).contains("malformed JSON at line 1, column ");
    }

    @Test
    void severalDocumentsOrNoneAre400() {
        String two = Fixtures.deploymentYaml("a", 1, "a") + "---\n" + Fixtures.deploymentYaml("b", 1, "b");
        assertThat(status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", two), 400, "INVALID")
                .path("message").asText()).isEqualTo("the request body has 2 resources; send exactly one");
        status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", ""), 400, "INVALID");
        status(Fixtures.send(server, "POST", DEPLOYMENTS, "text/plain", "x"), 415, "INVALID");
    }

    @Test
    void aBodyOverOneMebibyteIs413() {
        String big = "# " + "x".repeat((1 << 20) + 10) + "\n" + Fixtures.deploymentYaml("web", 1, "web");

        status(Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml", big), 413, "INVALID");
        status(Fixtures.postChunked(server, DEPLOYMENTS, "application/yaml", big.getBytes()), 413, "INVALID");
        assertThat(Fixtures.postChunked(server, DEPLOYMENTS, "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web").getBytes()).statusCode()).isEqualTo(201);
        // The connection is still usable for the next request.
        assertThat(Fixtures.get(server, DEPLOYMENTS).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownPluralIs404ListingTheValidOnes() {
        JsonNode n = status(Fixtures.get(server, "/apis/kiln.dev/v1/deployment"), 404, "NOT_FOUND");

        assertThat(n.path("message").asText()).isEqualTo("unknown resource type 'deployment' in"
                + " /apis/kiln.dev/v1/deployment; valid types: hosts, nodepools, nodes, pods, deployments, events");
        assertThat(n.path("hint").asText()).isEqualTo("did you mean /apis/kiln.dev/v1/deployments?");
        status(Fixtures.get(server, "/apis/kiln.dev/v1/widgets"), 404, "NOT_FOUND");
    }

    @Test
    void unknownPathsAre404() {
        status(Fixtures.get(server, "/"), 404, "NOT_FOUND");
        status(Fixtures.get(server, "/apis/kiln.dev/v2/pods"), 404, "NOT_FOUND");
        status(Fixtures.get(server, DEPLOYMENTS + "/web/status"), 404, "NOT_FOUND");
        status(Fixtures.get(server, DEPLOYMENTS + "/web/log"), 404, "NOT_FOUND");
        status(Fixtures.get(server, DEPLOYMENTS + "/web"), 404, "NOT_FOUND");
    }

    @Test
    void aWrongMethodIs405WithAllow() {
        HttpResponse<String> r = Fixtures.send(server, "DELETE", DEPLOYMENTS, null, null);
        status(r, 405, "INVALID");
        assertThat(r.headers().firstValue("Allow")).contains("GET, POST");

        HttpResponse<String> item = Fixtures.send(server, "POST", DEPLOYMENTS + "/web", null, null);
        status(item, 405, "INVALID");
        assertThat(item.headers().firstValue("Allow")).contains("GET, PUT, DELETE");

        HttpResponse<String> health = Fixtures.send(server, "POST", "/healthz", null, null);
        status(health, 405, "INVALID");
        assertThat(health.headers().firstValue("Allow")).contains("GET");
    }

    @Test
    void badQueryParametersAre400() {
        assertThat(status(Fixtures.get(server, DEPLOYMENTS + "?labelSelector=app!=web"), 400, "INVALID")
                .path("message").asText()).isEqualTo("bad labelSelector 'app!=web': 'app!=web' is not key=value");
        status(Fixtures.get(server, DEPLOYMENTS + "?labelSelector=app"), 400, "INVALID");
        assertThat(status(Fixtures.get(server, DEPLOYMENTS + "?labelselector=app=web"), 400, "INVALID")
                .path("message").asText()).isEqualTo("unknown query parameter 'labelselector' for " + DEPLOYMENTS);
        status(Fixtures.get(server, DEPLOYMENTS + "?watch=yes"), 400, "INVALID");
        status(Fixtures.get(server, DEPLOYMENTS + "?watch=true&resourceVersion=abc"), 400, "INVALID");
        status(Fixtures.get(server, "/apis/kiln.dev/v1/events?involvedKind=Widget"), 400, "UNKNOWN_KIND");
    }

    @Test
    void updateWithoutAVersionIs422AndAStaleOneIs409() {
        HttpResponse<String> created = Fixtures.send(server, "POST", DEPLOYMENTS, "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web"));
        String version = json(created).path("metadata").path("resourceVersion").asText();
        String body = Fixtures.deploymentYaml("web", 2, "web");

        status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web", "application/yaml", body), 422, "INVALID");
        String versioned = body.replace("  name: web\n", "  name: web\n  resourceVersion: \"" + version + "\"\n");
        assertThat(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web", "application/yaml", versioned).statusCode())
                .isEqualTo(200);
        status(Fixtures.send(server, "PUT", DEPLOYMENTS + "/web", "application/yaml", versioned), 409, "CONFLICT");
    }

    @Test
    void applyAnswersWithTheActionHeader() {
        String body = Fixtures.deploymentYaml("web", 1, "web");

        HttpResponse<String> first = Fixtures.send(server, "PUT", DEPLOYMENTS + "/web?apply=true", null, body);
        HttpResponse<String> second = Fixtures.send(server, "PUT", DEPLOYMENTS + "/web?apply=true", null, body);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue("X-Kiln-Apply")).contains("created");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("X-Kiln-Apply")).contains("unchanged");
    }

    @Test
    void healthIs503WhenTheStoreIsDown() {
        assertThat(Fixtures.get(server, "/healthz").body()).isEqualTo("{\"status\":\"ok\"}");
        store.kv().close();

        JsonNode n = status(Fixtures.get(server, "/healthz"), 503, "UNAVAILABLE");

        assertThat(n.path("message").asText()).isEqualTo("the in-memory store is closed");
        try (ClusterClient client = ClusterClient.connect(uri, server.token())) {
            ClusterException e = catchThrowableOfType(ClusterException.class, client::health);
            assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
            assertThat(e.getMessage()).isEqualTo("the in-memory store is closed");
        }
    }

    @Test
    void aTakenPortIsAClearError() {
        ClusterException e = catchThrowableOfType(ClusterException.class,
                () -> ClusterApiServer.start(store, "127.0.0.1", server.port(), Optional.empty()));

        assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(e.getMessage()).isEqualTo("127.0.0.1:" + server.port() + " is already in use");
        assertThat(e.hint()).contains("stop what listens there, or pass --api-port");
    }

    @Test
    void aClientOfAClosedPortIsUnavailableWithTheHint() {
        URI nowhere = URI.create("http://127.0.0.1:" + EtcdProcess.freePort());
        try (ClusterClient client = ClusterClient.connect(nowhere, ApiToken.generate())) {
            ClusterException e = catchThrowableOfType(ClusterException.class,
                    () -> client.get(dev.kiln.cluster.model.Kind.POD, "x"));

            assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
            assertThat(e.getMessage()).isEqualTo("no kiln API server at " + nowhere);
            assertThat(e.hint()).contains("start the cluster with `kiln up`, or pass --server URL");
            assertThat(catchThrowableOfType(ClusterException.class, client::health).code())
                    .isEqualTo(ClusterError.UNAVAILABLE);
        }
    }

    @Test
    void theDefaultsAreTheDaemons() {
        assertThat(ClusterApiServer.DEFAULT_PORT).isEqualTo(7070);
        assertThat(ClusterClient.DEFAULT_SERVER).hasToString("http://127.0.0.1:7070");
        assertThat(catchThrowableOfType(ClusterException.class,
                () -> ClusterClient.connect(URI.create("localhost:7070"), ApiToken.generate())).code()).isEqualTo(ClusterError.INVALID);
    }

    @Test
    void everyErrorCodeHasOneStatusAndComesBack() {
        for (ClusterError code : ClusterError.values()) {
            int httpStatus = ApiErrors.status(code);
            ApiErrors.Status s = ApiErrors.of(new ClusterException(code, "m", "h"));
            ClusterException back = ApiErrors.fromResponse(httpStatus, s.body(), "GET /x");

            assertThat(s.code()).isEqualTo(httpStatus);
            assertThat(back.code()).isEqualTo(code);
            assertThat(back.getMessage()).isEqualTo("m");
            assertThat(back.hint()).contains("h");
        }
        ClusterException notStatus = ApiErrors.fromResponse(502, "<html>bad gateway</html>".getBytes(), "GET /x");
        assertThat(notStatus.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(notStatus.getMessage()).isEqualTo("GET /x failed with HTTP 502: <html>bad gateway</html>");
    }
}
