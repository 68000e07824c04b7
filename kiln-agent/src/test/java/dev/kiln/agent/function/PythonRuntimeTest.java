package dev.kiln.agent.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kiln's Python bootstrap against the Runtime API server and slot, as real python3 processes on this host: the same
 * runtime and server that run inside a slot's microVM, without the VM.
 */
class PythonRuntimeTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HANDLERS = """
            import json, os, time

            def echo(event, context):
                return {"event": event, "pid": os.getpid()}

            def boom(event, context):
                raise ValueError("bad input: " + str(event.get("x")))

            def ctx(event, context):
                return {"requestId": context.aws_request_id, "name": context.function_name,
                        "memory": context.memory_limit_in_mb, "arn": context.invoked_function_arn,
                        "remaining": context.get_remaining_time_in_millis(),
                        "color": os.environ.get("COLOR"), "region": os.environ.get("AWS_REGION"),
                        "handler": os.environ.get("_HANDLER")}

            def slow(event, context):
                time.sleep(event.get("sleep", 0))
                return {"slept": event.get("sleep", 0), "pid": os.getpid()}

            def die(event, context):
                if event.get("die"):
                    os._exit(3)
                return {"pid": os.getpid()}

            def big(event, context):
                return "x" * (7 * 1024 * 1024)

            def unserializable(event, context):
                return {"when": object()}
            """;

    @TempDir
    Path tmp;
    private Path bootstrap;
    private final List<FunctionHost> hosts = new ArrayList<>();

    @BeforeAll
    static void needPython() {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + " on this host (apt-get install python3)");
    }

    @AfterEach
    void stop() {
        hosts.forEach(FunctionHost::close);
    }

    private FunctionHost function(String handler, Duration timeout, Map<String, String> env) throws IOException {
        Path task = Files.createDirectories(tmp.resolve("task"));
        Files.writeString(task.resolve("handlers.py"), HANDLERS);
        if (bootstrap == null) {
            bootstrap = tmp.resolve("bootstrap.py");
            try (InputStream in = FunctionHost.class.getResourceAsStream("bootstrap.py")) {
                Files.write(bootstrap, in.readAllBytes());
            }
        }
        var config = new FunctionConfig("fn-" + handler.replace('.', '-'), "$LATEST",
                "arn:aws:lambda:kiln-local:000000000000:function:fn", "kiln-local", handler, 256, timeout,
                Duration.ofSeconds(20), env, task.toString());
        FunctionHost host = FunctionHost.start(config,
                new ProcessLauncher(List.of(PYTHON.toString(), bootstrap.toString()), task), Clock.systemUTC(),
                new InetSocketAddress("127.0.0.1", 0));
        hosts.add(host);
        return host;
    }

    private static JsonNode json(Reply reply) throws IOException {
        return JSON.readTree(reply.body());
    }

    private static byte[] event(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aHandlerReturnsItsResultAndTheSecondInvocationIsWarmInTheSameProcess() throws IOException {
        FunctionHost fn = function("handlers.echo", Duration.ofSeconds(10), Map.of());
        var first = fn.invoke(event("{\"a\": [1, 2]}"), Optional.empty());
        assertThat(first.reply().functionError()).as(new String(first.reply().body())).isFalse();
        assertThat(json(first.reply()).path("event").path("a").toString()).isEqualTo("[1,2]");
        assertThat(first.init()).as("the first invocation waited for init").isPresent();

        var second = fn.invoke(event("\"again\""), Optional.empty());
        assertThat(json(second.reply()).path("event").asText()).isEqualTo("again");
        assertThat(second.init()).as("warm").isEmpty();
        assertThat(json(second.reply()).path("pid").asLong()).isEqualTo(json(first.reply()).path("pid").asLong());
        assertThat(second.requestId()).isNotEqualTo(first.requestId());
        assertThat(fn.phase()).isEqualTo(Slot.Phase.IDLE);
    }

    @Test
    void anExceptionComesBackAsAFunctionErrorWithItsTypeMessageAndStack() throws IOException {
        FunctionHost fn = function("handlers.boom", Duration.ofSeconds(10), Map.of());
        var out = fn.invoke(event("{\"x\": 42}"), Optional.empty());
        assertThat(out.reply().functionError()).isTrue();
        assertThat(out.reply().errorType()).isEqualTo("Unhandled");
        JsonNode doc = json(out.reply());
        assertThat(doc.path("errorType").asText()).isEqualTo("ValueError");
        assertThat(doc.path("errorMessage").asText()).isEqualTo("bad input: 42");
        assertThat(doc.path("stackTrace").toString()).contains("handlers.py").contains("boom");
        assertThat(fn.invoke(event("{\"x\": 1}"), Optional.empty()).reply().functionError())
                .as("the slot stays usable after a handler error").isTrue();
        assertThat(fn.phase()).isEqualTo(Slot.Phase.IDLE);
    }

    @Test
    void theHandlerSeesLambdasContextAndEnvironment() throws IOException {
        FunctionHost fn = function("handlers.ctx", Duration.ofSeconds(30), Map.of("COLOR", "teal",
                "AWS_REGION", "user-cannot-override"));
        var out = fn.invoke(event("{}"), Optional.empty());
        JsonNode doc = json(out.reply());
        assertThat(doc.path("requestId").asText()).isEqualTo(out.requestId());
        assertThat(doc.path("name").asText()).isEqualTo("fn-handlers-ctx");
        assertThat(doc.path("memory").asText()).isEqualTo("256");
        assertThat(doc.path("arn").asText()).isEqualTo("arn:aws:lambda:kiln-local:000000000000:function:fn");
        assertThat(doc.path("remaining").asLong()).isBetween(1L, 30_000L);
        assertThat(doc.path("color").asText()).isEqualTo("teal");
        assertThat(doc.path("region").asText()).as("reserved variables win").isEqualTo("kiln-local");
        assertThat(doc.path("handler").asText()).isEqualTo("handlers.ctx");
    }

    @Test
    void aMissingModuleOrHandlerIsAnInitErrorAndTheNextInvocationInitializesAgain() throws IOException {
        FunctionHost noModule = function("nosuchmodule.run", Duration.ofSeconds(10), Map.of());
        var out = noModule.invoke(event("{}"), Optional.empty());
        assertThat(out.reply().functionError()).isTrue();
        assertThat(out.reply().errorType()).isEqualTo("Runtime.ImportModuleError");
        assertThat(json(out.reply()).path("errorMessage").asText()).contains("Unable to import module 'nosuchmodule'");
        var again = noModule.invoke(event("{}"), Optional.empty());
        assertThat(again.reply().errorType()).isEqualTo("Runtime.ImportModuleError");

        FunctionHost noHandler = function("handlers.nothere", Duration.ofSeconds(10), Map.of());
        var missing = noHandler.invoke(event("{}"), Optional.empty());
        assertThat(missing.reply().errorType()).isEqualTo("Runtime.HandlerNotFound");
        assertThat(json(missing.reply()).path("errorMessage").asText())
                .isEqualTo("Handler 'nothere' missing on module 'handlers'");

        FunctionHost malformed = function("nodot", Duration.ofSeconds(10), Map.of());
        assertThat(malformed.invoke(event("{}"), Optional.empty()).reply().errorType())
                .isEqualTo("Runtime.MalformedHandlerName");
    }

    @Test
    void aHandlerThatRunsPastItsTimeoutFailsAndTheNextInvocationGetsAFreshRuntime() throws IOException {
        FunctionHost fn = function("handlers.slow", Duration.ofSeconds(1), Map.of());
        long pidBefore = json(fn.invoke(event("{}"), Optional.empty()).reply()).path("pid").asLong();
        var out = fn.invoke(event("{\"sleep\": 20}"), Optional.empty());
        assertThat(out.reply().errorType()).isEqualTo("Sandbox.Timedout");
        assertThat(json(out.reply()).path("errorMessage").asText())
                .isEqualTo("RequestId: " + out.requestId() + " Error: Task timed out after 1.00 seconds");
        assertThat(out.duration()).isLessThan(Duration.ofSeconds(10));
        assertThat(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false))
                .as("the timed-out runtime was stopped").isFalse();

        var next = fn.invoke(event("{}"), Optional.empty());
        assertThat(next.reply().functionError()).isFalse();
        assertThat(next.init()).as("a fresh runtime initialized").isPresent();
        assertThat(json(next.reply()).path("pid").asLong()).isNotEqualTo(pidBefore);
    }

    @Test
    void aRuntimeThatExitsMidInvocationFailsThatInvocationOnly() throws IOException {
        FunctionHost fn = function("handlers.die", Duration.ofSeconds(10), Map.of());
        var out = fn.invoke(event("{\"die\": true}"), Optional.empty());
        assertThat(out.reply().errorType()).isEqualTo("Runtime.ExitError");
        assertThat(json(out.reply()).path("errorMessage").asText()).contains("exit status 3");
        var next = fn.invoke(event("{}"), Optional.empty());
        assertThat(next.reply().functionError()).isFalse();
    }

    @Test
    void aResultOverSixMegabytesOrNotJsonIsAnErrorNotAResult() throws IOException {
        FunctionHost big = function("handlers.big", Duration.ofSeconds(20), Map.of());
        var out = big.invoke(event("{}"), Optional.empty());
        assertThat(out.reply().errorType()).isEqualTo("Function.ResponseSizeTooLarge");
        assertThat(big.invoke(event("{}"), Optional.empty()).reply().errorType())
                .as("the runtime carries on after the 413").isEqualTo("Function.ResponseSizeTooLarge");

        FunctionHost odd = function("handlers.unserializable", Duration.ofSeconds(10), Map.of());
        assertThat(odd.invoke(event("{}"), Optional.empty()).reply().errorType()).isEqualTo("Runtime.MarshalError");
    }

    @Test
    void oneInvocationAtATimePerSlot() throws Exception {
        FunctionHost fn = function("handlers.slow", Duration.ofSeconds(20), Map.of());
        fn.invoke(event("{}"), Optional.empty());
        var first = CompletableFuture.supplyAsync(() -> fn.invoke(event("{\"sleep\": 2}"), Optional.empty()));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fn.phase() == Slot.Phase.BUSY);
        assertThatThrownBy(() -> fn.invoke(event("{}"), Optional.empty())).isInstanceOf(SlotException.class)
                .satisfies(e -> assertThat(((SlotException) e).reason()).isEqualTo(SlotException.Reason.BUSY));
        assertThat(json(first.get().reply()).path("slept").asInt()).isEqualTo(2);
    }

    /** Not a timed assertion: the Runtime API path's own cost on the host (no VM), printed as p50 and p99. */
    @Test
    void measureWarmInvocationsThroughTheRuntimeApiOnTheHost() throws IOException {
        FunctionHost fn = function("handlers.echo", Duration.ofSeconds(10), Map.of());
        fn.invoke(event("{}"), Optional.empty());
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long t = System.nanoTime();
            assertThat(fn.invoke(event("{\"i\": " + i + "}"), Optional.empty()).reply().functionError()).isFalse();
            ms.add((System.nanoTime() - t) / 1e6);
        }
        ms.sort(null);
        System.out.printf("MEASURED warm invocation through the Runtime API on the host (python3, no VM): p50 %.2f ms"
                + " p99 %.2f ms%n", ms.get(150), ms.get(297));
    }

    /**
     * A Runtime API that drops the connection after handing out an invocation, as the agent's (the JDK's HTTP server)
     * does with a keep-alive connection left idle for 30 s while a long handler runs: the bootstrap sends its result
     * again on a new connection instead of dying of a broken pipe.
     */
    @Test
    void aResultIsSentAgainOnANewConnectionWhenTheApiDroppedTheIdleOne() throws Exception {
        Path task = Files.createDirectories(tmp.resolve("task"));
        Files.writeString(task.resolve("handlers.py"), HANDLERS);
        Path script = tmp.resolve("bootstrap.py");
        try (InputStream in = FunctionHost.class.getResourceAsStream("bootstrap.py")) {
            Files.write(script, in.readAllBytes());
        }
        try (java.net.ServerSocket api = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            api.setSoTimeout(20_000);
            ProcessBuilder pb = new ProcessBuilder(PYTHON.toString(), script.toString()).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("runtime.log").toFile());
            pb.environment().put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + api.getLocalPort());
            pb.environment().put("_HANDLER", "handlers.echo");
            pb.environment().put("LAMBDA_TASK_ROOT", task.toString());
            Process runtime = pb.start();
            try {
                try (java.net.Socket first = api.accept()) {
                    String next = request(first);
                    assertThat(next).startsWith("GET /2018-06-01/runtime/invocation/next ");
                    byte[] event = "{\"n\": 1}".getBytes(StandardCharsets.UTF_8);
                    first.getOutputStream().write(("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n"
                            + "Lambda-Runtime-Deadline-Ms: " + (System.currentTimeMillis() + 60_000) + "\r\n"
                            + "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:kiln-local:0:function:f\r\n"
                            + "Content-Length: " + event.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    first.getOutputStream().write(event);
                    first.getOutputStream().flush();
                } // closed while the handler runs: no "Connection: close", as an idle timeout gives none
                String answer = "";
                for (int i = 0; i < 2 && !answer.startsWith("POST"); i++) {
                    try (java.net.Socket again = api.accept()) {
                        answer = request(again);
                        if (answer.startsWith("POST")) {
                            again.getOutputStream().write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                }
                assertThat(answer).as(Files.readString(tmp.resolve("runtime.log")))
                        .startsWith("POST /2018-06-01/runtime/invocation/r1/response ").contains("\"n\": 1");
            } finally {
                runtime.destroyForcibly();
            }
        }
    }

    /** One HTTP request read off the socket: its head and, when it has one, its body. */
    private static String request(java.net.Socket socket) throws IOException {
        socket.setSoTimeout(20_000);
        var in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString();
            }
            head.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
