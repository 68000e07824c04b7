package dev.kiln.agent;

import dev.kiln.api.agent.AgentProtocol;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code --train}: the run that makes the guest image's AOT cache ({@code -XX:AOTCacheOutput}). It starts the
 * agent on loopback with a throw-away token and state directory, makes the calls a host makes after boot (health,
 * facts, list, a create that fails at its pull, an unknown container), and exits. The classes those paths load
 * are what the cache then holds, so the agent in the guest starts with them already parsed and linked.
 */
final class Training {
    private Training() {
    }

    static void run(Clock clock, Instant jvmStart) {
        Path dir;
        try {
            dir = Files.createTempDirectory("kiln-agent-train-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a training directory: " + e.getMessage(), e);
        }
        String token = "0123456789abcdef0123456789abcdef";
        try {
            Files.writeString(dir.resolve("token"), token);
            AgentConfig config = AgentConfig.parse(List.of("--listen=127.0.0.1:0", "--token-file=" + dir.resolve("token"),
                    "--state-dir=" + dir.resolve("state"), "--runc=/bin/false"), Map.of());
            Agent agent = Agent.start(config, clock, jvmStart);
            try {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                String base = "http://127.0.0.1:" + agent.port();
                send(http, HttpRequest.newBuilder(URI.create(base + AgentProtocol.HEALTH_PATH)).GET());
                send(http, authorized(base + AgentProtocol.FACTS_PATH, token).GET());
                send(http, authorized(base + AgentProtocol.CONTAINERS_PATH, token).GET());
                send(http, authorized(base + AgentProtocol.CONTAINERS_PATH, token)
                        .header("Content-Type", AgentProtocol.JSON_TYPE)
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"name":"train","image":"train/none@sha256:%s","registry":"http://127.0.0.1:9",
                                 "env":{"A":"b"},"mounts":[],"network":"VM","restart":{"kind":"NO","maxRetries":0},
                                 "readOnlyRoot":false}""".formatted("0".repeat(64)), StandardCharsets.UTF_8)));
                send(http, authorized(base + AgentProtocol.containerPath("nope"), token).GET());
                send(http, HttpRequest.newBuilder(URI.create(base + AgentProtocol.FACTS_PATH)).GET());
            } finally {
                agent.close();
            }
        } catch (IOException e) {
            throw new IllegalStateException("the training run failed: " + e.getMessage(), e);
        } finally {
            delete(dir);
        }
    }

    private static HttpRequest.Builder authorized(String url, String token) {
        return HttpRequest.newBuilder(URI.create(url)).header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(token));
    }

    private static void send(HttpClient http, HttpRequest.Builder request) throws IOException {
        try {
            http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("kiln-agent: cannot remove the training directory " + dir + ": " + e.getMessage());
        }
    }
}
