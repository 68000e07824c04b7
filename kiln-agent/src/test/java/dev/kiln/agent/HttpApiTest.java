package dev.kiln.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.agent.AgentProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The API's door: tokens, errors, body rules. Needs no runc (nothing here starts a container). */
class HttpApiTest {
    private static final String TOKEN = "3f9a1c2b7d40aa55";

    @TempDir
    Path tmp;

    private Agent agent;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        agent = Agent.start(AgentConfig.parse(List.of("--listen=127.0.0.1:0", "--token-file=" + tokenFile,
                "--state-dir=" + tmp.resolve("state"), "--max-json=4k", "--rootfs=copy"), Map.of()),
                Clock.systemUTC(), Instant.now());
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(token));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.mapper().readTree(r.body());
    }

    @Test
    void healthNeedsNoTokenAndSaysOkAndWhenTheAgentStarted() throws Exception {
        long before = System.currentTimeMillis();
        var r = send("GET", AgentProtocol.HEALTH_PATH, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.properties()).extracting(java.util.Map.Entry::getKey)
                .containsExactly("status", "startedAt", "message");
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.path("message").isNull()).as("no problem to report").isTrue();
        assertThat(body.path("startedAt").asLong()).isPositive().isLessThanOrEqualTo(before);
        var again = json(send("GET", AgentProtocol.HEALTH_PATH, null, null));
        assertThat(again.path("startedAt").asLong()).as("the same agent, the same start").isEqualTo(
                body.path("startedAt").asLong());
    }

    @Test
    void aMissingTokenIs401() throws Exception {
        var r = send("GET", AgentProtocol.FACTS_PATH, null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(json(r).path("code").asText()).isEqualTo("UNAUTHORIZED");
        assertThat(json(r).path("hint").asText()).contains("Bearer");
    }

    @Test
    void aWrongTokenIs401EvenForUnknownPaths() throws Exception {
        assertThat(send("GET", AgentProtocol.FACTS_PATH, TOKEN + "x", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", AgentProtocol.FACTS_PATH, "", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/v1/secret-route", "wrong", null).statusCode()).isEqualTo(401);
        var basic = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + AgentProtocol.FACTS_PATH))
                .header("Authorization", "Basic " + TOKEN).build();
        assertThat(http.send(basic, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }

    @Test
    void theRightTokenGetsFacts() throws Exception {
        var r = send("GET", AgentProtocol.FACTS_PATH, TOKEN, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode facts = json(r);
        assertThat(facts.path("kernel").asText()).isNotBlank();
        assertThat(facts.path("memoryTotalBytes").asLong()).isPositive();
        assertThat(facts.path("cpus").asInt()).isPositive();
        assertThat(facts.path("uptime").asText()).startsWith("PT");
        assertThat(facts.path("agentStartup").asText()).startsWith("PT");
        assertThat(facts.path("rootfsMode").asText()).isEqualTo("copy");
    }

    @Test
    void unknownFieldsAreRejectedByName() throws Exception {
        var r = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN, "{\"name\":\"a\",\"image\":\"x\",\"memroy\":1}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("code").asText()).isEqualTo("UNKNOWN_FIELD");
        assertThat(json(r).path("message").asText()).contains("'memroy'", "ContainerSpec", "memoryLimitBytes");
    }

    @Test
    void badBodiesAreClear() throws Exception {
        var missing = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN, "{\"name\":\"a\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(json(missing).path("message").asText()).contains("image is required");
        var malformed = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN, "{\"name\":");
        assertThat(json(malformed).path("message").asText()).contains("malformed JSON");
        var tooBig = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN, "{\"name\":\"" + "a".repeat(5000) + "\"}");
        assertThat(tooBig.statusCode()).isEqualTo(413);
        var badEnum = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN, "{\"name\":\"a\",\"image\":\"x\",\"network\":\"HOST\"}");
        assertThat(badEnum.statusCode()).isEqualTo(400);
        assertThat(json(badEnum).path("message").asText()).contains("network");
    }

    @Test
    void aMemoryLimitAboveTheVmIsRefusedBeforeAnyPull() throws Exception {
        var r = send("POST", AgentProtocol.CONTAINERS_PATH, TOKEN,
                "{\"name\":\"big\",\"image\":\"app:1\",\"registry\":\"http://127.0.0.1:1\",\"memoryLimitBytes\":" + (1L << 50) + "}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("code").asText()).isEqualTo("MEMORY_LIMIT_TOO_HIGH");
        assertThat(Files.list(tmp.resolve("state/containers"))).isEmpty();
    }

    @Test
    void unknownContainersAndRoutesAre404And405() throws Exception {
        var r = send("GET", AgentProtocol.containerPath("ghost"), TOKEN, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).path("code").asText()).isEqualTo("NOT_FOUND");
        assertThat(send("PUT", AgentProtocol.FACTS_PATH, TOKEN, "x").statusCode()).isEqualTo(405);
        assertThat(send("GET", "/v1/containers/ghost/files?path=/../../etc/passwd", TOKEN, null).statusCode()).isEqualTo(404);
    }
}
