package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * Signature Version 4 on the Lambda API, through real HTTP against the real Jetty server: AWS's SDK signs with the
 * generated access key and works; a request signed with a wrong secret, an unknown key, a stale time, or not signed,
 * is refused with 403 and Lambda's error type; kiln's bearer token is accepted instead; bodies past the limits are 413.
 */
class LambdaAuthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LambdaApiTest.EchoSlots slots = new LambdaApiTest.EchoSlots();
    private final LambdaCredentials credentials = LambdaCredentials.generate();
    private final HttpClient http = HttpClient.newHttpClient();
    private FunctionService functions;
    private ClusterApiServer server;
    private LambdaClient lambda;

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        SlotManager manager = new SlotManager(slots, Clock.systemUTC(), new SlotManager.Config(Duration.ofMinutes(5),
                8, 0, Duration.ZERO, Duration.ofSeconds(5)));
        functions = new FunctionService(FunctionStore.files(dir.resolve("functions")), manager,
                image -> true, FunctionService.Settings.defaults(), Clock.systemUTC(), Duration.ofMinutes(1));
        server = LambdaApiTest.serve(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                new LambdaApi(functions, "http://127.0.0.1"), credentials);
        lambda = LambdaApiTest.sdk(server, credentials);
    }

    @AfterEach
    void stop() {
        slots.hold.countDown();
        lambda.close();
        server.close();
        functions.close();
    }

    private void createEcho() throws IOException {
        lambda.createFunction(b -> b.functionName("echo").runtime(Runtime.PYTHON3_12).handler("app.handler")
                .role("arn:aws:iam::000000000000:role/any").code(c -> {
                    try {
                        c.zipFile(SdkBytes.fromByteArray(LambdaApiTest.zip("app.py", "def handler(e, c): return e")));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
    }

    /** A request signed by kiln's own signer with the given key, secret and time; {@code extra} headers unsigned. */
    private HttpResponse<String> signed(String method, String pathAndQuery, String body, String keyId, String secret,
                                        Instant at, Map<String, String> extra) throws Exception {
        URI uri = server.uri().resolve(pathAndQuery);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        TreeMap<String, List<String>> headers = new TreeMap<>();
        headers.put("host", List.of(uri.getHost() + ":" + uri.getPort()));
        headers.put("content-type", List.of("application/json"));
        Map<String, String> auth = SigV4.sign(new SigV4.Request(method, uri.getRawPath(),
                uri.getRawQuery() == null ? "" : uri.getRawQuery(), headers, bytes), keyId, secret, "eu-west-1",
                "lambda", at);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
        auth.forEach(b::header);
        extra.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void refused(HttpResponse<String> r, int status, String type, String message) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("X-Amzn-ErrorType")).contains(type);
        JsonNode n = JSON.readTree(r.body());
        assertThat(n.path("message").asText()).contains(message);
    }

    @Test
    void theSdkWithTheStoredCredentialsCreatesInvokesAndListsFunctions(@TempDir Path state) throws IOException {
        LambdaCredentials stored = LambdaCredentials.loadOrCreate(state);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(LambdaCredentials.FILE))))
                .isEqualTo("rw-------");
        assertThat(LambdaCredentials.loadOrCreate(state)).isEqualTo(stored);
        assertThat(stored.accessKeyId()).matches("AKIA[A-Z2-7]{16}");
        server.close();
        lambda.close();
        server = LambdaApiTest.serve(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                new LambdaApi(functions, "http://127.0.0.1"), stored);
        lambda = LambdaApiTest.sdk(server, LambdaCredentials.read(state.resolve(LambdaCredentials.FILE)).orElseThrow());

        createEcho();
        assertThat(lambda.invoke(b -> b.functionName("echo").payload(SdkBytes.fromUtf8String("{\"a\": 1}")))
                .payload().asUtf8String()).isEqualTo("{\"echo\":{\"a\":1}}");
        assertThat(lambda.listFunctions().functions()).extracting(f -> f.functionName()).containsExactly("echo");
        String arn = lambda.getFunction(b -> b.functionName("echo")).configuration().functionArn();
        // an ARN has ':' in the path, which the SDK percent-encodes and the canonical URI encodes again
        assertThat(lambda.getFunction(b -> b.functionName(arn)).configuration().functionName()).isEqualTo("echo");
        assertThat(lambda.invoke(b -> b.functionName(arn).payload(SdkBytes.fromUtf8String("{}"))).statusCode())
                .isEqualTo(200);
    }

    @Test
    void aWrongSecretAnUnknownKeyAStaleTimeAndNoSignatureAre403() throws Exception {
        createEcho();
        String path = "/2015-03-31/functions/echo/invocations";
        Instant now = Instant.now();
        HttpResponse<String> good = signed("POST", path, "{\"b\":2}", credentials.accessKeyId(),
                credentials.secretAccessKey(), now, Map.of());
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        assertThat(good.body()).isEqualTo("{\"echo\":{\"b\":2}}");

        refused(signed("POST", path, "{}", credentials.accessKeyId(), credentials.secretAccessKey() + "x", now,
                Map.of()), 403, "InvalidSignatureException", "signature we calculated does not match");
        refused(signed("POST", path, "{}", "AKIAUNKNOWNKEY000000", credentials.secretAccessKey(), now, Map.of()),
                403, "UnrecognizedClientException", "AKIAUNKNOWNKEY000000 is not this cluster's");
        refused(signed("POST", path, "{}", credentials.accessKeyId(), credentials.secretAccessKey(),
                now.minus(Duration.ofMinutes(16)), Map.of()), 403, "InvalidSignatureException", "Signature expired");
        refused(signed("POST", path, "{}", credentials.accessKeyId(), credentials.secretAccessKey(),
                now.plus(Duration.ofMinutes(16)), Map.of()), 403, "InvalidSignatureException", "not yet current");
        assertThat(signed("POST", path, "{}", credentials.accessKeyId(), credentials.secretAccessKey(),
                now.minus(Duration.ofMinutes(14)), Map.of()).statusCode()).as("within the window").isEqualTo(200);
        refused(signed("POST", path, "{}", credentials.accessKeyId(), credentials.secretAccessKey(), now,
                Map.of("X-Amz-Security-Token", "t")), 403, "UnrecognizedClientException", "no session tokens");

        HttpResponse<String> none = http.send(HttpRequest.newBuilder(server.uri().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        refused(none, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        HttpResponse<String> garbled = http.send(HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=x").POST(HttpRequest.BodyPublishers
                        .ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        refused(garbled, 403, "IncompleteSignatureException", "requires 'SignedHeaders'");
        HttpResponse<String> bigStranger = http.send(HttpRequest.newBuilder(server.uri().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString("\"" + "y".repeat(3 << 20) + "\"")).build(),
                HttpResponse.BodyHandlers.ofString());
        refused(bigStranger, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        assertThat(slots.invoked.get()).as("none of the refused requests ran").isEqualTo(2);
    }

    @Test
    void aBodyChangedAfterSigningIsRefused() throws Exception {
        createEcho();
        URI uri = server.uri().resolve("/2015-03-31/functions/echo/invocations");
        TreeMap<String, List<String>> headers = new TreeMap<>();
        headers.put("host", List.of(uri.getHost() + ":" + uri.getPort()));
        Map<String, String> auth = SigV4.sign(new SigV4.Request("POST", uri.getRawPath(), "", headers,
                "{\"pay\":1}".getBytes(StandardCharsets.UTF_8)), credentials.accessKeyId(),
                credentials.secretAccessKey(), "us-east-1", "lambda", Instant.now());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{\"pay\":1000}"));
        auth.forEach(b::header);
        refused(http.send(b.build(), HttpResponse.BodyHandlers.ofString()), 403, "InvalidSignatureException",
                "does not match");
    }

    @Test
    void theSdkWithAWrongSecretOrKeyGetsLambdasErrors() {
        try (LambdaClient wrong = LambdaApiTest.sdk(server, new LambdaCredentials(credentials.accessKeyId(),
                "wrong-secret-wrong-secret-wrong-secret"))) {
            assertThatThrownBy(wrong::listFunctions).isInstanceOf(LambdaException.class).satisfies(e -> {
                LambdaException l = (LambdaException) e;
                assertThat(l.statusCode()).isEqualTo(403);
                assertThat(l.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
            });
        }
        try (LambdaClient stranger = LambdaApiTest.sdk(server, LambdaCredentials.generate())) {
            assertThatThrownBy(stranger::listFunctions).isInstanceOf(LambdaException.class).satisfies(e ->
                    assertThat(((LambdaException) e).awsErrorDetails().errorCode())
                            .isEqualTo("UnrecognizedClientException"));
        }
    }

    @Test
    void kilnsBearerTokenIsAcceptedAndAWrongOneIs401() throws Exception {
        createEcho();
        HttpResponse<String> withToken = http.send(HttpRequest.newBuilder(server.uri().resolve(
                "/2015-03-31/functions/echo/invocations")).header("Authorization", server.token().header())
                .POST(HttpRequest.BodyPublishers.ofString("{\"c\":3}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(withToken.statusCode()).isEqualTo(200);
        assertThat(withToken.body()).isEqualTo("{\"echo\":{\"c\":3}}");
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(server.uri().resolve("/2015-03-31/functions/"))
                .header("Authorization", "Bearer " + "x".repeat(43)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                v -> assertThat(v).startsWith("Bearer"));
    }

    @Test
    void bodiesPastTheLimitsAre413AndMalformedJsonIs400() throws Exception {
        createEcho();
        Instant now = Instant.now();
        String huge = "\"" + "x".repeat(6 * 1024 * 1024) + "\"";
        refused(signed("POST", "/2015-03-31/functions/echo/invocations", huge, credentials.accessKeyId(),
                credentials.secretAccessKey(), now, Map.of()), 413, "RequestTooLargeException", "6291456 bytes");
        String zipTooBig = "{\"FunctionName\":\"z\",\"Code\":{\"ZipFile\":\"" + "A".repeat((int) LambdaApi.MAX_BODY)
                + "\"}}";
        refused(signed("POST", "/2015-03-31/functions", zipTooBig, credentials.accessKeyId(),
                credentials.secretAccessKey(), now, Map.of()), 413, "RequestTooLargeException", "50 MB");
        refused(signed("POST", "/2015-03-31/functions", "{not json", credentials.accessKeyId(),
                credentials.secretAccessKey(), now, Map.of()), 400, "InvalidParameterValueException",
                "not valid JSON");
    }

    /** AWS's published example (the SigV4 test suite's get-vanilla): the signer gives AWS's own signature. */
    @Test
    void theSignatureOfAwsPublishedExample() {
        TreeMap<String, List<String>> headers = new TreeMap<>();
        headers.put("Host", List.of("example.amazonaws.com"));
        Map<String, String> out = SigV4.sign(new SigV4.Request("GET", "/", "", headers, new byte[0]), "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service",
                Instant.parse("2015-08-30T12:36:00Z"));
        assertThat(out.get("Authorization")).isEqualTo("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                + "service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
                + "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assertThat(SigV4.canonicalQuery("b=2&a=1&a=0&c")).isEqualTo("a=0&a=1&b=2&c=");
        assertThat(SigV4.canonicalUri("/2015-03-31/functions/my%3Afn/invocations"))
                .isEqualTo("/2015-03-31/functions/my%253Afn/invocations");
    }
}
