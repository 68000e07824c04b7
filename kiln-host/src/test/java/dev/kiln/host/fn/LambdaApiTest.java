package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.host.FunctionReply;
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
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * The Lambda-compatible API as AWS's own SDK for Java v2 sees it, served by the cluster API server on its port. The
 * slots here are in memory (a handler that echoes its event), because this is about the API: the same API over real
 * microVM slots is {@code FunctionSlotVmTest}.
 */
public class LambdaApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A "handler" in memory: echoes the event; {"fail": true} raises; {"hold": true} waits for the test. */
    public static final class EchoSlots implements SlotBackend {
        public final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger invoked = new AtomicInteger();
        public final Set<String> closed = ConcurrentHashMap.newKeySet();
        public volatile CountDownLatch hold = new CountDownLatch(0);
        /** The image each opened slot was asked to run, by function name. */
        public final Map<String, String> images = new ConcurrentHashMap<>();

        @Override
        public Slot open(FunctionVersion fn) {
            fn.setup().image().ifPresent(image -> images.put(fn.setup().name(), image));
            String id = "fn-" + fn.setup().name() + "-" + opened.incrementAndGet();
            return new Slot() {
                @Override
                public String id() {
                    return id;
                }

                @Override
                public FunctionReply invoke(byte[] event, Duration timeout) {
                    invoked.incrementAndGet();
                    try {
                        JsonNode e = JSON.readTree(event);
                        if (e.path("hold").asBoolean()) {
                            hold.await(20, TimeUnit.SECONDS);
                        }
                        if (e.path("fail").asBoolean()) {
                            return new FunctionReply("req-" + id, Optional.of("Unhandled"),
                                    "{\"errorType\":\"ValueError\",\"errorMessage\":\"bad\"}".getBytes(),
                                    Optional.empty(), 1.0);
                        }
                        String body = JSON.createObjectNode().set("echo", e).toString();
                        return new FunctionReply("req-" + id, Optional.empty(), body.getBytes(),
                                Optional.of(12.0), 2.5);
                    } catch (IOException | InterruptedException ex) {
                        throw new IllegalStateException(ex);
                    }
                }

                @Override
                public SequencedMap<String, Long> openPhases() {
                    SequencedMap<String, Long> m = new LinkedHashMap<>();
                    m.put("vmmStart", 1L);
                    m.put("kernelBoot", 2L);
                    return m;
                }

                @Override
                public void close() {
                    closed.add(id);
                }
            };
        }
    }

    private final EchoSlots slots = new EchoSlots();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private Path dir;
    private FunctionService functions;
    private ClusterApiServer server;
    private LambdaClient lambda;
    private final LambdaCredentials credentials = LambdaCredentials.generate();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws IOException {
        dir = Files.createTempDirectory("kiln-lambda-api-");
        SlotManager manager = new SlotManager(slots, Clock.systemUTC(), new SlotManager.Config(Duration.ofMinutes(5),
                8, 0, Duration.ZERO, Duration.ofSeconds(5)));
        functions = new FunctionService(FunctionStore.files(dir.resolve("functions")), manager,
                image -> image.equals("python3-runtime:1"), FunctionService.Settings.defaults(), Clock.systemUTC(),
                Duration.ofMinutes(1));
        functions.exportMetrics(metrics);
        ResourceStore store = new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC());
        LambdaApi api = new LambdaApi(functions, "http://127.0.0.1");
        server = serve(store, api, credentials);
        lambda = sdk(server, credentials);
    }

    /** The API as the daemon serves it: the bearer token or Signature Version 4 with {@code credentials}. */
    static ClusterApiServer serve(ResourceStore store, LambdaApi api, LambdaCredentials credentials) {
        var signed = api.signed(new SigV4Verifier(() -> credentials), Clock.systemUTC());
        return ClusterApiServer.start(store, "127.0.0.1", 0, Optional.empty(), LambdaApi.PREFIXES.stream()
                .map(p -> new ClusterApiServer.Mount(p, signed, ClusterApiServer.Access.TOKEN_OR_OWN)).toList());
    }

    /** AWS's SDK, unchanged but for the endpoint, with the access key kiln generated (as ~/.aws/credentials has it). */
    static LambdaClient sdk(ClusterApiServer server, LambdaCredentials credentials) {
        return LambdaClient.builder().endpointOverride(server.uri()).region(Region.of("kiln-local"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        credentials.accessKeyId(), credentials.secretAccessKey())))
                .overrideConfiguration(c -> c.retryStrategy(DefaultRetryStrategy.doNotRetry())).build();
    }

    @AfterEach
    void stop() throws IOException {
        slots.hold.countDown();
        threads.shutdownNow();
        lambda.close();
        server.close();
        functions.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A zip of one file (also used by the VM tests of function slots). */
    public static byte[] zip(String name, String content) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(name));
            zip.write(content.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    private CreateFunctionResponse create(String name) throws IOException {
        return lambda.createFunction(b -> b.functionName(name).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .role("arn:aws:iam::000000000000:role/any").memorySize(256).timeout(10)
                .environment(e -> e.variables(Map.of("GREETING", "hi")))
                .code(c -> {
                    try {
                        c.zipFile(SdkBytes.fromByteArray(zip("app.py", "def handler(e, c): return e")));
                    } catch (IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                }));
    }

    private InvokeResponse invoke(String name, String payload) {
        return lambda.invoke(b -> b.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
    }

    @Test
    void theSdkCreatesGetsListsUpdatesAndDeletesAFunction() throws IOException {
        CreateFunctionResponse created = create("hello");
        assertThat(created.functionName()).isEqualTo("hello");
        assertThat(created.functionArn()).isEqualTo("arn:aws:lambda:kiln-local:000000000000:function:hello");
        assertThat(created.runtime()).isEqualTo(Runtime.PYTHON3_12);
        assertThat(created.memorySize()).isEqualTo(256);
        assertThat(created.codeSha256()).isNotBlank();
        assertThat(created.environment().variables()).containsEntry("GREETING", "hi");

        var got = lambda.getFunction(b -> b.functionName("hello"));
        assertThat(got.configuration().handler()).isEqualTo("app.handler");
        assertThat(got.code().location()).endsWith("/2015-03-31/functions/hello/code");
        assertThat(lambda.getFunction(b -> b.functionName(created.functionArn())).configuration().functionName())
                .as("by ARN").isEqualTo("hello");
        assertThat(lambda.listFunctions().functions()).extracting(FunctionConfiguration::functionName)
                .containsExactly("hello");

        var updated = lambda.updateFunctionConfiguration(b -> b.functionName("hello").memorySize(512).timeout(30));
        assertThat(updated.memorySize()).isEqualTo(512);
        assertThat(updated.timeout()).isEqualTo(30);
        assertThat(updated.revisionId()).isNotEqualTo(created.revisionId());
        assertThat(updated.environment().variables()).as("kept").containsEntry("GREETING", "hi");

        var code = lambda.updateFunctionCode(b -> {
            try {
                b.functionName("hello").zipFile(SdkBytes.fromByteArray(zip("app.py", "def handler(e, c): return 2")));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(code.codeSha256()).isNotEqualTo(created.codeSha256());

        lambda.deleteFunction(b -> b.functionName("hello"));
        assertThatThrownBy(() -> lambda.getFunction(b -> b.functionName("hello")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Function not found: arn:aws:lambda:kiln-local:000000000000:function:hello")
                .satisfies(e -> assertThat(((ResourceNotFoundException) e).statusCode()).isEqualTo(404));
        assertThat(lambda.listFunctions().functions()).isEmpty();
    }

    @Test
    void invokeReturnsTheResultAndFunctionErrorsAsLambdaDoes() throws IOException {
        create("echo");
        InvokeResponse ok = lambda.invoke(b -> b.functionName("echo").logType(LogType.TAIL)
                .payload(SdkBytes.fromUtf8String("{\"name\":\"kiln\"}")));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.functionError()).isNull();
        assertThat(ok.payload().asUtf8String()).isEqualTo("{\"echo\":{\"name\":\"kiln\"}}");
        assertThat(ok.executedVersion()).isEqualTo("$LATEST");
        String log = new String(Base64.getDecoder().decode(ok.logResult()), StandardCharsets.UTF_8);
        assertThat(log).contains("REPORT RequestId: req-fn-echo-1").contains("Memory Size: 256 MB")
                .contains("Init Duration: 12.00 ms").contains("kiln cold start: vmmStart=1;kernelBoot=2;");
        assertThat(ok.sdkHttpResponse().firstMatchingHeader("X-Kiln-Cold")).contains("true");

        InvokeResponse failed = invoke("echo", "{\"fail\": true}");
        assertThat(failed.statusCode()).as("a function error is still a 200").isEqualTo(200);
        assertThat(failed.functionError()).isEqualTo("Unhandled");
        assertThat(JSON.readTree(failed.payload().asUtf8String()).path("errorType").asText()).isEqualTo("ValueError");
        assertThat(invoke("echo", "{}").sdkHttpResponse().firstMatchingHeader("X-Kiln-Cold")).as("warm")
                .contains("false");
        assertThat(slots.opened).hasValue(1);
        HttpClient http = HttpClient.newHttpClient();
        try {
            String listed = http.send(HttpRequest.newBuilder(server.uri().resolve("/2015-03-31/functions/"))
                    .header("Authorization", server.token().header()).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(JSON.readTree(listed).path("Functions").path(0).path("KilnSlots").toString())
                    .as("kiln's extension, which the SDK ignores").isEqualTo("{\"booting\":0,\"initializing\":0,\"idle\":1,\"busy\":0,\"draining\":0}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertThat(metrics.get("kiln.function.invocations").tag("function", "echo").tag("cold", "true").timer()
                .count()).isEqualTo(1);
        assertThat(metrics.get("kiln.function.invocations").tag("cold", "false").tag("error", "function").timer()
                .count()).isEqualTo(1);
        assertThat(metrics.get("kiln.function.cold.phase").tag("phase", "kernelBoot").timer().totalTime(
                TimeUnit.MILLISECONDS)).isEqualTo(2.0);
        assertThat(metrics.get("kiln.function.cold.phase").tag("phase", "runtimeInit").timer().count()).isEqualTo(1);
    }

    @Test
    void unknownFunctionsOversizedPayloadsAndBadInputGetLambdasErrors() throws IOException {
        assertThatThrownBy(() -> invoke("nope", "{}")).isInstanceOf(ResourceNotFoundException.class);
        create("big");
        String huge = "\"" + "x".repeat(6 * 1024 * 1024) + "\"";
        assertThatThrownBy(() -> invoke("big", huge)).isInstanceOf(RequestTooLargeException.class)
                .satisfies(e -> assertThat(((RequestTooLargeException) e).statusCode()).isEqualTo(413));
        assertThatThrownBy(() -> create("big")).isInstanceOf(ResourceConflictException.class);
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("j").runtime(Runtime.NODEJS20_X)
                .handler("x.y").role("r").code(c -> c.zipFile(SdkBytes.fromUtf8String("PK")))))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("nodejs20.x");
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("j").runtime(Runtime.JAVA21)
                .handler("x.Y::z").role("r").code(c -> c.zipFile(SdkBytes.fromUtf8String("PK")))))
                .as("a Java function needs kiln's Java image").isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("java-runtime:1");
        assertThatThrownBy(() -> lambda.updateFunctionConfiguration(b -> b.functionName("big").memorySize(64)))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("128 to 10240");
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("s3").runtime(Runtime.PYTHON3_12)
                .handler("a.b").role("r").code(c -> c.s3Bucket("b").s3Key("k"))))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("no S3");
        assertThat(lambda.getFunction(b -> b.functionName("big")).configuration().memorySize()).as("unchanged")
                .isEqualTo(256);

        HttpClient http = HttpClient.newHttpClient();
        try {
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(server.uri().resolve("/2015-03-31/functions"))
                    .header("Authorization", server.token().header()).POST(HttpRequest.BodyPublishers.ofString("{not json")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.headers().firstValue("X-Amzn-ErrorType")).contains("InvalidParameterValueException");
            assertThat(bad.body()).contains("not valid JSON");
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(server.uri().resolve("/2015-03-31/functions"))
                    .header("Authorization", server.token().header()).POST(HttpRequest.BodyPublishers.ofString("{\"FunctionName\":\"u\",\"Colour\":\"red\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(unknown.body()).contains("unknown field Colour");
            HttpResponse<String> cluster = http.send(HttpRequest.newBuilder(server.uri().resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(cluster.statusCode()).as("the cluster API still answers beside it").isEqualTo(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void dryRunChecksAndEventInvokesLater() throws IOException {
        create("later");
        InvokeResponse dry = lambda.invoke(b -> b.functionName("later").invocationType(InvocationType.DRY_RUN));
        assertThat(dry.statusCode()).isEqualTo(204);
        assertThat(slots.invoked).hasValue(0);
        InvokeResponse event = lambda.invoke(b -> b.functionName("later").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"n\": 1}")));
        assertThat(event.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slots.invoked).hasValue(1));
        assertThatThrownBy(() -> lambda.invoke(b -> b.functionName("gone").invocationType(InvocationType.DRY_RUN)))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void pastItsReservedConcurrencyAFunctionIsThrottledWith429() throws Exception {
        create("one");
        lambda.putFunctionConcurrency(b -> b.functionName("one").reservedConcurrentExecutions(1));
        assertThat(lambda.getFunctionConcurrency(b -> b.functionName("one")).reservedConcurrentExecutions()).isEqualTo(1);
        slots.hold = new CountDownLatch(1);
        Future<InvokeResponse> busy = threads.submit(() -> invoke("one", "{\"hold\": true}"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(slots.invoked).hasValue(1));
        assertThatThrownBy(() -> invoke("one", "{}")).isInstanceOf(TooManyRequestsException.class)
                .satisfies(e -> {
                    TooManyRequestsException t = (TooManyRequestsException) e;
                    assertThat(t.statusCode()).isEqualTo(429);
                    assertThat(t.reasonAsString()).isEqualTo("ReservedFunctionConcurrentInvocationLimitExceeded");
                });
        slots.hold.countDown();
        assertThat(busy.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(invoke("one", "{}").statusCode()).as("free again").isEqualTo(200);

        lambda.putFunctionConcurrency(b -> b.functionName("one").reservedConcurrentExecutions(0));
        assertThatThrownBy(() -> invoke("one", "{}")).isInstanceOf(TooManyRequestsException.class);
        lambda.deleteFunctionConcurrency(b -> b.functionName("one"));
        assertThat(invoke("one", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void aZipFunctionMayNameItsRuntimeImageInItsEnvironment() throws IOException {
        functions.close();
        SlotManager manager = new SlotManager(slots, Clock.systemUTC(), new SlotManager.Config(Duration.ofMinutes(5),
                8, 0, Duration.ZERO, Duration.ofSeconds(5)));
        functions = new FunctionService(FunctionStore.files(dir.resolve("functions2")), manager,
                image -> image.equals("python3-runtime:1") || image.equals("functionbench:1"),
                FunctionService.Settings.defaults(), Clock.systemUTC(), Duration.ofMinutes(1));
        LambdaApi api = new LambdaApi(functions, "http://127.0.0.1");
        server.close();
        server = serve(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()), api, credentials);
        lambda.close();
        lambda = sdk(server, credentials);

        byte[] code = zip("app.py", "def handler(e, c): return e");
        lambda.createFunction(b -> b.functionName("numpy-fn").runtime(Runtime.PYTHON3_12).handler("app.handler")
                .role("arn:aws:iam::000000000000:role/any")
                .environment(e -> e.variables(Map.of(FunctionService.RUNTIME_IMAGE_ENV, "functionbench:1")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(code))));
        invoke("numpy-fn", "{}");
        assertThat(slots.images).containsEntry("numpy-fn", "functionbench:1");
        lambda.createFunction(b -> b.functionName("plain").runtime(Runtime.PYTHON3_12).handler("app.handler")
                .role("arn:aws:iam::000000000000:role/any").code(c -> c.zipFile(SdkBytes.fromByteArray(code))));
        invoke("plain", "{}");
        assertThat(slots.images).containsEntry("plain", "python3-runtime:1");

        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("missing").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").role("arn:aws:iam::000000000000:role/any")
                .environment(e -> e.variables(Map.of(FunctionService.RUNTIME_IMAGE_ENV, "nosuch:1")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(code)))))
                .hasMessageContaining("nosuch:1").hasMessageContaining(FunctionService.RUNTIME_IMAGE_ENV);
        assertThat(lambda.listFunctions().functions()).extracting(f -> f.functionName())
                .containsExactlyInAnyOrder("numpy-fn", "plain");
    }

    @Test
    void anUpdateRetiresTheSlotsOfTheOldCode() throws IOException {
        create("fresh");
        String first = invoke("fresh", "{}").sdkHttpResponse().firstMatchingHeader("X-Kiln-Slot").orElseThrow();
        lambda.updateFunctionConfiguration(b -> b.functionName("fresh").environment(e -> e.variables(Map.of("A", "b"))));
        assertThat(slots.closed).as("the idle slot of the old revision is closed").containsExactly(first);
        InvokeResponse after = invoke("fresh", "{}");
        assertThat(after.sdkHttpResponse().firstMatchingHeader("X-Kiln-Slot")).isPresent().get().isNotEqualTo(first);
        assertThat(after.sdkHttpResponse().firstMatchingHeader("X-Kiln-Cold")).contains("true");
        lambda.deleteFunction(b -> b.functionName("fresh"));
        assertThat(slots.closed).hasSize(2);
        assertThat(List.copyOf(slots.closed)).doesNotHaveDuplicates();
    }
}
