package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonClientTest {
    @TempDir
    Path dir;

    FakeDaemon daemon;
    DaemonClient client;

    @BeforeEach
    void start() throws Exception {
        daemon = new FakeDaemon(dir.resolve("kiln.sock"))
                .answer("GET /v1/vms", FakeDaemon.Answer.json(200, "{\"vms\":[" + FormattingTest.VM + "]}"))
                .answer("GET /v1/vms/nope", FakeDaemon.Answer.json(404,
                        "{\"error\":{\"code\":\"VM_NOT_FOUND\",\"message\":\"no VM named 'nope'\",\"hint\":\"list VMs with 'kiln vm ls'\"}}"));
        client = new DaemonClient(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        daemon.close();
    }

    @Test
    void listsVms() {
        List<JsonNode> vms = client.listVms();
        assertThat(vms).hasSize(1);
        assertThat(vms.getFirst().path("name").asText()).isEqualTo("web1");
        assertThat(daemon.seen).extracting(FakeDaemon.Seen::method, FakeDaemon.Seen::path)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("GET", "/v1/vms"));
    }

    @Test
    void anErrorBodyBecomesACliExceptionWithItsExitCode() {
        assertThatThrownBy(() -> client.vm("nope"))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.code()).isEqualTo("VM_NOT_FOUND");
                    assertThat(e.getMessage()).isEqualTo("no VM named 'nope'");
                    assertThat(e.hint()).contains("list VMs with 'kiln vm ls'");
                    assertThat(e.exitCode()).isEqualTo(3);
                });
    }

    @Test
    void anErrorThatIsNotJsonFallsBackToItsStatus() {
        daemon.answer("POST /v1/vms/web1/pause", new FakeDaemon.Answer(503, "text/html", List.of("<html>busy</html>")));
        assertThatThrownBy(() -> client.pause("web1"))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(7);
                    assertThat(e.getMessage()).contains("HTTP 503", "busy");
                });
    }

    @Test
    void callsCarryTheirQueryAndBody() {
        daemon.answer("POST /v1/vms/web1/stop", FakeDaemon.Answer.json(200, FormattingTest.VM))
                .answer("DELETE /v1/vms/web1", FakeDaemon.Answer.json(204, ""))
                .answer("POST /v1/vms/web1/exec", FakeDaemon.Answer.json(200, "{\"exitCode\":3,\"output\":\"hi\\n\"}"))
                .answer("GET /v1/health", FakeDaemon.Answer.json(200, "{\"status\":\"ok\",\"version\":\"0.1.0\",\"pid\":42,\"vms\":1}"));
        client.stop("web1", Duration.ofSeconds(10));
        client.remove("web1", true);
        assertThat(client.exec("web1", "echo hi", Duration.ofSeconds(30))).isEqualTo(new ExecResult(3, "hi\n"));
        Health h = client.health();
        assertThat(h.pid()).isEqualTo(42);
        assertThat(h.vms()).isEqualTo(1);
        assertThat(daemon.seen).extracting(s -> s.method() + " " + s.path() + "?" + s.query() + " " + s.body())
                .containsExactly("POST /v1/vms/web1/stop?timeout=10s ", "DELETE /v1/vms/web1?force=true ",
                        "POST /v1/vms/web1/exec? {\"command\":\"echo hi\",\"timeout\":\"30s\"}", "GET /v1/health? ");
    }

    @Test
    void streamsLogsChunkByChunk() {
        daemon.answer("GET /v1/vms/web1/logs", FakeDaemon.Answer.text("line 1\n", "line 2\nKILN_GUEST_", "READY ✓\n"));
        List<String> chunks = new CopyOnWriteArrayList<>();
        client.streamLogs("web1", true, 5, chunks::add);
        assertThat(String.join("", chunks)).isEqualTo("line 1\nline 2\nKILN_GUEST_READY ✓\n");
        assertThat(daemon.seen.getFirst().query()).isEqualTo("follow=true&tail=5");
    }

    @Test
    void logsOfAMissingVmIsNotFound() {
        assertThatThrownBy(() -> client.streamLogs("nope", false, 0, s -> { }))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(3));
    }

    @Test
    void noSocketMeansTheDaemonIsNotRunning() {
        try (DaemonClient c = new DaemonClient(dir.resolve("missing.sock"))) {
            assertThatThrownBy(c::listVms).isInstanceOfSatisfying(DaemonUnreachableException.class, e -> {
                assertThat(e.getMessage()).isEqualTo("the kiln daemon is not running (no socket at " + dir.resolve("missing.sock") + ")");
                assertThat(e.hint()).contains("start it with 'kiln daemon' or run 'kiln demo', which starts one");
                assertThat(e.exitCode()).isEqualTo(10);
            });
        }
    }

    @Test
    void aStaleSocketMeansTheDaemonIsNotRunning() throws IOException {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(stale));
        } // closed: the file stays, nothing listens
        try (DaemonClient c = new DaemonClient(stale)) {
            assertThatThrownBy(c::health).isInstanceOfSatisfying(DaemonUnreachableException.class,
                    e -> assertThat(e.getMessage()).contains("not running", stale.toString()));
        }
    }
}
