package dev.kiln.agent.function;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * AWS's own Java runtime interface client (com.amazonaws:aws-lambda-java-runtime-interface-client, from Maven
 * Central) in a real JVM, polling kiln's Runtime API: an unmodified RequestHandler runs, and its exception comes back
 * as Lambda's error document. This is the compatibility check of the server against the client Lambda itself uses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaRuntimeClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private FunctionHost fn;

    @BeforeAll
    void start(@TempDir Path tmp) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String handler = "dev.kiln.agent.function.fixtures.Greeter::handleRequest";
        var config = new FunctionConfig("greeter", "$LATEST", "arn:aws:lambda:kiln-local:000000000000:function:greeter",
                "kiln-local", handler, 512, Duration.ofSeconds(60), Duration.ofSeconds(60), Map.of(), tmp.toString());
        fn = FunctionHost.start(config, new ProcessLauncher(List.of(java, "-Xshare:auto", "-cp",
                System.getProperty("java.class.path"), "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                handler), tmp), Clock.systemUTC(), new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterAll
    void stop() {
        if (fn != null) fn.close();
    }

    private JsonNode invoke(String event, FunctionHost.Outcome[] out) throws IOException {
        out[0] = fn.invoke(event.getBytes(StandardCharsets.UTF_8), Optional.empty());
        return JSON.readTree(out[0].reply().body());
    }

    @Test
    void anUnmodifiedRequestHandlerRunsUnderTheOfficialRuntimeClient() throws IOException {
        var out = new FunctionHost.Outcome[1];
        JsonNode doc = invoke("{\"name\": \"kiln\"}", out);
        assertThat(out[0].reply().functionError()).as(doc.toString() + "\n" + fn.outputTail()).isFalse();
        assertThat(doc.path("greeting").asText()).isEqualTo("hello kiln");
        assertThat(doc.path("requestId").asText()).isEqualTo(out[0].requestId());
        assertThat(doc.path("function").asText()).isEqualTo("greeter");
        assertThat(doc.path("memory").asInt()).isEqualTo(512);
        assertThat(doc.path("remainingMs").asLong()).isBetween(1L, 60_000L);
    }

    @Test
    void itsExceptionComesBackAsLambdasErrorDocument() throws IOException {
        var out = new FunctionHost.Outcome[1];
        JsonNode doc = invoke("{\"fail\": \"yes\"}", out);
        assertThat(out[0].reply().functionError()).isTrue();
        assertThat(doc.path("errorType").asText()).isEqualTo("java.lang.IllegalArgumentException");
        assertThat(doc.path("errorMessage").asText()).isEqualTo("asked to fail: yes");
        assertThat(doc.path("stackTrace").toString()).contains("Greeter.handleRequest");
        assertThat(invoke("{\"name\": \"again\"}", out).path("greeting").asText()).isEqualTo("hello again");
    }
}
