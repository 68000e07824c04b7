package dev.kiln.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.agent.AgentProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's function endpoints over HTTP, with the function's runtime a real python3 process on this host: code
 * uploaded as a zip, the runtime started, invocations and their errors, bad code refused with the old code kept.
 */
class FunctionApiTest {
    private static final String TOKEN = "5be7a0c1d2e3f405";
    private static final String SETUP = """
            {"name":"hello","version":"1","arn":"arn:aws:lambda:kiln-local:000000000000:function:hello",
             "region":"kiln-local","runtime":"python3","handler":"app.handler","memoryMb":128,
             "timeout":"PT10S","initTimeout":"PT20S","environment":{"GREETING":"hi"},"command":[]}""";

    @TempDir
    Path tmp;
    private Agent agent;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3 (apt-get install python3)");
        Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        agent = Agent.start(AgentConfig.parse(List.of("--listen=127.0.0.1:0", "--token-file=" + tokenFile,
                "--state-dir=" + tmp.resolve("state"), "--rootfs=copy", "--runtime-api=127.0.0.1:0"), Map.of()),
                Clock.systemUTC(), Instant.now());
    }

    @AfterEach
    void stop() {
        if (agent != null) agent.close();
    }

    private HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + path))
                .header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer(TOKEN)).method(method, body).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    }

    private static byte[] zip(Map<String, String> files) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(bytes)) {
            for (var e : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.mapper().readTree(r.body());
    }

    @Test
    void codeUploadedAsAZipRunsAndAnswersInvocations() throws Exception {
        byte[] code = zip(Map.of("app.py", """
                import os
                from lib.words import shout
                def handler(event, context):
                    if event.get("fail"):
                        raise KeyError("nope")
                    return {"says": shout(os.environ["GREETING"] + " " + event["name"])}
                """, "lib/__init__.py", "", "lib/words.py", "def shout(s):\n    return s.upper()\n"));
        assertThat(send("PUT", AgentProtocol.FUNCTION_CODE_PATH, HttpRequest.BodyPublishers.ofByteArray(code))
                .statusCode()).isEqualTo(204);
        var started = send("POST", AgentProtocol.FUNCTION_PATH, SETUP);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        assertThat(json(started).path("name").asText()).isEqualTo("hello");

        var cold = send("POST", AgentProtocol.FUNCTION_INVOKE_PATH, "{\"name\":\"kiln\"}");
        assertThat(cold.statusCode()).isEqualTo(200);
        assertThat(json(cold).path("says").asText()).isEqualTo("HI KILN");
        assertThat(cold.headers().firstValue(AgentProtocol.REQUEST_ID_HEADER)).isPresent();
        assertThat(cold.headers().firstValue(AgentProtocol.INIT_MS_HEADER)).as("cold").isPresent();
        assertThat(cold.headers().firstValue(AgentProtocol.FUNCTION_ERROR_HEADER)).isEmpty();

        var warm = send("POST", AgentProtocol.FUNCTION_INVOKE_PATH, "{\"name\":\"again\"}");
        assertThat(json(warm).path("says").asText()).isEqualTo("HI AGAIN");
        assertThat(warm.headers().firstValue(AgentProtocol.INIT_MS_HEADER)).as("warm").isEmpty();

        var failed = send("POST", AgentProtocol.FUNCTION_INVOKE_PATH, "{\"fail\":true}");
        assertThat(failed.statusCode()).isEqualTo(200);
        assertThat(failed.headers().firstValue(AgentProtocol.FUNCTION_ERROR_HEADER)).contains("Unhandled");
        assertThat(json(failed).path("errorType").asText()).isEqualTo("KeyError");

        assertThat(json(send("GET", AgentProtocol.FUNCTION_PATH, (String) null)).path("phase").asText()).isEqualTo("IDLE");
        assertThat(send("DELETE", AgentProtocol.FUNCTION_PATH, (String) null).statusCode()).isEqualTo(204);
        assertThat(send("POST", AgentProtocol.FUNCTION_INVOKE_PATH, "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void aZipThatEscapesOrIsNotAZipIsRefusedAndTheOldCodeStays() throws Exception {
        assertThat(send("PUT", AgentProtocol.FUNCTION_CODE_PATH,
                HttpRequest.BodyPublishers.ofByteArray(zip(Map.of("app.py", "x = 1\n")))).statusCode()).isEqualTo(204);
        var escape = send("PUT", AgentProtocol.FUNCTION_CODE_PATH,
                HttpRequest.BodyPublishers.ofByteArray(zip(Map.of("../../evil.py", "x = 2\n"))));
        assertThat(escape.statusCode()).isEqualTo(400);
        assertThat(json(escape).path("code").asText()).isEqualTo("PATH_ESCAPES_ROOT");
        var notZip = send("PUT", AgentProtocol.FUNCTION_CODE_PATH, "this is not a zip");
        assertThat(notZip.statusCode()).isEqualTo(400);
        assertThat(json(notZip).path("message").asText()).contains("not a zip");
        Path task = tmp.resolve("state/function/task");
        assertThat(Files.readString(task.resolve("app.py"))).isEqualTo("x = 1\n");
        assertThat(tmp.resolve("state/evil.py")).doesNotExist();
        try (var left = Files.list(tmp.resolve("state/function"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("task");
        }
    }

    @Test
    void startingWithoutCodeOrWithAnUnknownRuntimeIsAClearError() throws Exception {
        var noCode = send("POST", AgentProtocol.FUNCTION_PATH, SETUP);
        assertThat(noCode.statusCode()).isEqualTo(409);
        assertThat(json(noCode).path("hint").asText()).contains("PUT /v1/function/code");
        send("PUT", AgentProtocol.FUNCTION_CODE_PATH, HttpRequest.BodyPublishers.ofByteArray(zip(Map.of("a.py", ""))));
        var unknown = send("POST", AgentProtocol.FUNCTION_PATH, SETUP.replace("\"python3\"", "\"cobol\""));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json(unknown).path("message").asText()).contains("unknown runtime 'cobol'");
        var provided = send("POST", AgentProtocol.FUNCTION_PATH, SETUP.replace("\"python3\"", "\"provided\""));
        assertThat(provided.statusCode()).isEqualTo(422);
        assertThat(json(provided).path("message").asText()).contains("executable 'bootstrap'");
    }

    @Test
    void theShellExamplesBootstrapSpeaksTheRuntimeApiWithBusyboxAlone() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")), "needs /usr/bin/busybox");
        Path bootstrap = Path.of("../examples/functions/shell/bootstrap").toAbsolutePath().normalize();
        Path bin = Files.createDirectories(tmp.resolve("busybox-bin")); // busybox's applets only, as in its image
        for (String applet : List.of("sh", "wget", "grep", "cut", "tr", "sed", "sleep")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("/usr/bin/busybox"));
        }
        send("PUT", AgentProtocol.FUNCTION_CODE_PATH, HttpRequest.BodyPublishers.ofByteArray(zip(Map.of("x", ""))));
        String setup = SETUP.replace("\"python3\"", "\"provided\"").replace("\"command\":[]",
                "\"command\":[\"/usr/bin/busybox\",\"sh\",\"-c\",\"PATH=" + bin + " TMPDIR=" + tmp + " exec sh "
                        + bootstrap + "\"]"); // TMPDIR: its event and reply files stay out of the host's /tmp
        var started = send("POST", AgentProtocol.FUNCTION_PATH, setup);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        for (String name : List.of("sh", "again")) {
            var r = send("POST", AgentProtocol.FUNCTION_INVOKE_PATH, "{\"name\": \"" + name + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).path("greeting").asText()).isEqualTo("hello, " + name);
            assertThat(json(r).path("function").asText()).isEqualTo("hello");
            assertThat(json(r).path("memoryMb").asInt()).isEqualTo(128);
        }
    }
}
