package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's bearer token, through real HTTP: refused without it or with a wrong one, served with it. */
class ApiAuthTest {
    static final String DEPLOYMENTS = "/apis/kiln.dev/v1/deployments";

    ResourceStore store;
    ClusterApiServer server;
    ApiToken token;

    /** A mount that answers 200 "own" when it is handed a request, saying whether the server authenticated it. */
    static final class Echo extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.write(true, ByteBuffer.wrap(("authenticated=" + ClusterApiServer.authenticated(request))
                    .getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    @BeforeEach
    void start() {
        store = new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC());
        token = ApiToken.generate();
        server = ClusterApiServer.start(store, "127.0.0.1", 0, Optional.empty(), List.of(
                new ClusterApiServer.Mount("/guarded/", new Echo()),
                new ClusterApiServer.Mount("/own/", new Echo(), ClusterApiServer.Access.TOKEN_OR_OWN)), token);
    }

    @AfterEach
    void stop() {
        server.close();
        store.kv().close();
    }

    private HttpResponse<String> get(String path, Optional<String> authorization) {
        return Fixtures.send(server.uri(), authorization, "GET", path, null, null);
    }

    private static void refused(HttpResponse<String> r, String message) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        JsonNode n = ApiJson.TREE.readTree(r.body());
        assertThat(n.path("kind").asText()).isEqualTo("Status");
        assertThat(n.path("code").asInt()).isEqualTo(401);
        assertThat(n.path("reason").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(n.path("message").asText()).contains(message);
        assertThat(n.path("hint").asText()).contains("STATE/api-token");
    }

    @Test
    void withoutTheTokenEveryCallButHealthIs401() throws IOException {
        refused(get(DEPLOYMENTS, Optional.empty()), "no Authorization header");
        refused(Fixtures.send(server.uri(), Optional.empty(), "POST", DEPLOYMENTS, "application/yaml",
                Fixtures.deploymentYaml("web", 1, "web")), "no Authorization header");
        refused(get("/guarded/x", Optional.empty()), "no Authorization header");
        refused(get("/nowhere", Optional.empty()), "no Authorization header");
        assertThat(store.list(dev.kiln.cluster.model.Deployment.class)).isEmpty();

        assertThat(get("/healthz", Optional.empty()).statusCode()).isEqualTo(200);
    }

    @Test
    void aWrongTokenIs401() throws IOException {
        String other = ApiToken.generate().header();
        refused(get(DEPLOYMENTS, Optional.of(other)), "not this API's token");
        refused(get(DEPLOYMENTS, Optional.of("Bearer " + token.value().substring(1))), "not this API's token");
        refused(get(DEPLOYMENTS, Optional.of("Bearer " + token.value() + "x")), "not this API's token");
        refused(get(DEPLOYMENTS, Optional.of("Basic " + token.value())), "is not 'Bearer <token>'");
        refused(get(DEPLOYMENTS, Optional.of("AWS4-HMAC-SHA256 Credential=x")), "is not 'Bearer <token>'");
        // a wrong bearer token is refused by the server even on a mount that authenticates on its own
        refused(get("/own/x", Optional.of(other)), "not this API's token");
    }

    @Test
    void withTheTokenTheCallsWork() {
        HttpResponse<String> created = Fixtures.send(server.uri(), Optional.of("bearer " + token.value()), "POST",
                DEPLOYMENTS, "application/yaml", Fixtures.deploymentYaml("web", 1, "web"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(get("/guarded/x", Optional.of(token.header())).body()).isEqualTo("authenticated=true");
        assertThat(get("/own/x", Optional.of(token.header())).body()).isEqualTo("authenticated=true");
        // without a bearer token, a TOKEN_OR_OWN mount gets the request, told that nobody authenticated it
        assertThat(get("/own/x", Optional.empty()).body()).isEqualTo("authenticated=false");

        try (ClusterClient client = ClusterClient.connect(server.uri(), token)) {
            assertThat(client.get(Kind.DEPLOYMENT, "web").name()).isEqualTo("web");
        }
        try (ClusterClient stranger = ClusterClient.connect(server.uri(), ApiToken.generate())) {
            ClusterException e = catchThrowableOfType(ClusterException.class,
                    () -> stranger.get(Kind.DEPLOYMENT, "web"));
            assertThat(e.code()).isEqualTo(ClusterError.UNAUTHENTICATED);
            assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("STATE/api-token"));
        }
    }

    @Test
    void theTokenFileIsOwnerOnlyAndKept(@TempDir Path state) throws IOException {
        ApiToken made = ApiToken.loadOrCreate(state);
        Path file = state.resolve(ApiToken.FILE);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(made.value()).hasSize(43).matches("[A-Za-z0-9_-]+"); // 256 bits, base64url
        assertThat(ApiToken.loadOrCreate(state).value()).isEqualTo(made.value());
        assertThat(ApiToken.generate().value()).isNotEqualTo(made.value());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ApiToken.loadOrCreate(state);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(made.toString()).doesNotContain(made.value());
    }

    @Test
    void aMalformedTokenIsAClearError() {
        ClusterException e = catchThrowableOfType(ClusterException.class, () -> ApiToken.of("short", "KILN_API_TOKEN"));
        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
        assertThat(e.getMessage()).contains("KILN_API_TOKEN").contains("5 characters");
        assertThat(ApiToken.of("  " + token.value() + "\n", "file").matches(token.value())).isTrue();
    }
}
