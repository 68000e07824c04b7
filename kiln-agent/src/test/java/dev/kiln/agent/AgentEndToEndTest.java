package dev.kiln.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;
import dev.kiln.api.agent.ContainerStats;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;
import dev.kiln.api.agent.ImageInfo;
import dev.kiln.api.agent.PullRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole path as the host will use it: the agent's HTTP server on an ephemeral port with a token, an image
 * pulled from the fake registry, containers run by the real runc, logs, exec, stats, files, removal.
 */
class AgentEndToEndTest {
    private static final String TOKEN = "e2e-token-0123456789abcdef";

    @TempDir
    static Path tmp;

    private static final RuncHarness harness = new RuncHarness();
    private static final List<String> ids = new ArrayList<>();
    private static final HttpClient http = HttpClient.newHttpClient();
    private static FakeRegistry registry;
    private static Agent agent;

    @BeforeAll
    static void start() throws IOException {
        String why = Fixtures.runcUnavailable();
        assumeTrue(why.isEmpty(), why);
        registry = FakeRegistry.start();
        registry.addImage("kiln/busybox", "1", List.of(Fixtures.busyboxLayer()),
                Map.of("Cmd", List.of("sh", "-c", "echo hello from kiln; echo to stderr >&2; sleep 0.5; echo bye"),
                        "Env", List.of("GREETING=hi")), true);
        Path token = Files.writeString(tmp.resolve("token"), TOKEN);
        agent = Agent.start(AgentConfig.parse(harness.args(tmp.resolve("state"), "--listen=127.0.0.1:0",
                "--token-file=" + token, "--registry=" + registry.url()), Map.of()), Clock.systemUTC(), Instant.now());
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent == null) {
            return;
        }
        for (JsonNode c : Json.mapper().readTree(call("GET", AgentProtocol.CONTAINERS_PATH, null).body())) {
            call("DELETE", AgentProtocol.containerPath(c.path("id").asText()) + "?force=true", null);
        }
        agent.close();
        registry.close();
        harness.assertNoLeaks(tmp.resolve("state"), ids);
    }

    private static HttpResponse<String> call(String method, String path, Object body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + path))
                .header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(TOKEN))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body instanceof String s ? s.getBytes() : Json.write(body)));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <T> T as(HttpResponse<String> r, Class<T> type) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return Json.mapper().readValue(r.body(), type);
    }

    @Test
    void pullRunFollowLogsAndInspect() throws Exception {
        ImageInfo image = as(call("POST", AgentProtocol.PULL_PATH, new PullRequest("kiln/busybox:1", Optional.empty())),
                ImageInfo.class);
        assertThat(image.layers()).hasSize(1);
        var created = call("POST", AgentProtocol.CONTAINERS_PATH, ContainerSpec.of("hello", "kiln/busybox:1"));
        assertThat(created.statusCode()).isEqualTo(201);
        ContainerInfo info = as(created, ContainerInfo.class);
        ids.add(info.id());
        assertThat(info.imageDigest()).isEqualTo(image.digest());
        // follow=true streams until the container exits, so this returns only after "bye"
        var logs = call("GET", AgentProtocol.containerPath(info.id(), "logs") + "?follow=true&stream=stdout", null);
        assertThat(logs.statusCode()).isEqualTo(200);
        assertThat(logs.body()).isEqualTo("hello from kiln\nbye\n");
        assertThat(call("GET", AgentProtocol.containerPath("hello", "logs") + "?stream=stderr", null).body())
                .isEqualTo("to stderr\n");
        ContainerInfo done = as(call("GET", AgentProtocol.containerPath("hello"), null), ContainerInfo.class);
        assertThat(done.state()).isEqualTo(ContainerState.EXITED);
        assertThat(done.exitCode()).contains(0);
        var removed = call("DELETE", AgentProtocol.containerPath("hello"), null);
        assertThat(removed.statusCode()).isEqualTo(204);
        assertThat(call("GET", AgentProtocol.containerPath("hello"), null).statusCode()).isEqualTo(404);
    }

    @Test
    void execStatsFilesStopAndForceRemove() throws Exception {
        ContainerInfo info = as(call("POST", AgentProtocol.CONTAINERS_PATH, ContainerSpec.of("svc", "kiln/busybox:1")
                .withCommand(List.of("sleep", "300")).withLimits(Optional.of(64L << 20), Optional.empty(), Optional.empty())),
                ContainerInfo.class);
        ids.add(info.id());
        assertThat(info.state()).isEqualTo(ContainerState.RUNNING);
        ExecResult r = as(call("POST", AgentProtocol.containerPath("svc", "exec"), ExecRequest.of("sh", "-c", "echo $GREETING")),
                ExecResult.class);
        assertThat(r.stdout()).isEqualTo("hi\n");
        ContainerStats stats = as(call("GET", AgentProtocol.containerPath("svc", "stats"), null), ContainerStats.class);
        assertThat(stats.memoryCurrentBytes()).isPositive();
        assertThat(stats.memoryMaxBytes()).contains(64L << 20);

        var put = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port()
                        + AgentProtocol.containerPath("svc", "files") + "?path=/tmp/note.txt&mode=0640"))
                .header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(TOKEN))
                .PUT(HttpRequest.BodyPublishers.ofString("copied in")).build();
        assertThat(http.send(put, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(call("GET", AgentProtocol.containerPath("svc", "files") + "?path=/tmp/note.txt", null).body())
                .isEqualTo("copied in");
        var escape = call("GET", AgentProtocol.containerPath("svc", "files") + "?path=/../../etc/shadow", null);
        assertThat(escape.statusCode()).isEqualTo(400);
        assertThat(escape.body()).contains("PATH_ESCAPES_ROOT");

        assertThat(call("DELETE", AgentProtocol.containerPath("svc"), null).statusCode()).isEqualTo(409);
        ContainerInfo stopped = as(call("POST", AgentProtocol.containerPath("svc", "stop") + "?timeout=PT0.2S", null),
                ContainerInfo.class);
        assertThat(stopped.state()).isEqualTo(ContainerState.EXITED);
        assertThat(stopped.exitCode()).contains(137);
        assertThat(call("DELETE", AgentProtocol.containerPath("svc") + "?force=true", null).statusCode()).isEqualTo(204);
    }

    @Test
    void aMissingEntrypointComesBackAsFailedWithRuncsError() throws Exception {
        ContainerInfo info = as(call("POST", AgentProtocol.CONTAINERS_PATH,
                ContainerSpec.of("broken", "kiln/busybox:1").withCommand(List.of("/app/server"))), ContainerInfo.class);
        ids.add(info.id());
        assertThat(info.state()).isEqualTo(ContainerState.FAILED);
        assertThat(info.error()).hasValueSatisfying(e -> assertThat(e).contains("/app/server"));
        assertThat(call("GET", AgentProtocol.containerPath("broken", "logs") + "?stream=stderr", null).body())
                .contains("/app/server");
    }

    @Test
    void factsReportTheGuestAndTheAgent() throws Exception {
        JsonNode facts = Json.mapper().readTree(call("GET", AgentProtocol.FACTS_PATH, null).body());
        assertThat(facts.path("rootfsMode").asText()).isEqualTo("overlay");
        assertThat(facts.path("cgroupVersion").asInt()).isEqualTo(Cgroups.detect().version());
        assertThat(facts.path("runtime").asText()).startsWith("runc version");
        assertThat(Duration.parse(facts.path("agentStartup").asText())).isPositive();
    }
}
