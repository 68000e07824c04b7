package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.host.FunctionReply;
import dev.kiln.host.fn.FunctionService;
import dev.kiln.host.fn.FunctionStore;
import dev.kiln.host.fn.FunctionVersion;
import dev.kiln.host.fn.LambdaApi;
import dev.kiln.host.fn.SlotBackend;
import dev.kiln.host.fn.SlotManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln fn} against the real Lambda-compatible API on a real cluster API server. The slots are in memory (they
 * echo the event with the function's name and memory): this is about the commands, their output and their errors;
 * real microVM slots are tested in kiln-host (FunctionSlotVmTest).
 */
class FnCommandsTest {
    private static ClusterApiServer server;
    private static FunctionService functions;
    private static String url;
    private static final AtomicInteger opened = new AtomicInteger();

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        SlotBackend echo = fn -> new SlotBackend.Slot() {
            final String id = "fn-" + fn.setup().name() + "-" + opened.incrementAndGet();
            boolean used;

            @Override
            public String id() {
                return id;
            }

            @Override
            public FunctionReply invoke(byte[] event, Duration timeout) {
                boolean cold = !used;
                used = true;
                String e = new String(event, StandardCharsets.UTF_8);
                if (e.contains("\"fail\"")) {
                    return new FunctionReply("r1", Optional.of("Unhandled"),
                            "{\"errorType\":\"ValueError\",\"errorMessage\":\"asked to fail\"}".getBytes(),
                            Optional.empty(), 1.0);
                }
                return new FunctionReply("r2", Optional.empty(), ("{\"event\":" + e + ",\"memory\":"
                        + fn.setup().memoryMb() + "}").getBytes(), cold ? Optional.of(5.0) : Optional.empty(), 1.0);
            }

            @Override
            public SequencedMap<String, Long> openPhases() {
                SequencedMap<String, Long> m = new LinkedHashMap<>();
                m.put("vmmStart", 3L);
                m.put("kernelBoot", 40L);
                return m;
            }

            @Override
            public void close() {
            }
        };
        functions = new FunctionService(FunctionStore.files(dir.resolve("functions")),
                new SlotManager(echo, Clock.systemUTC(), SlotManager.Config.defaults()),
                image -> true, FunctionService.Settings.defaults(), Clock.systemUTC(), Duration.ofMinutes(1));
        LambdaApi api = new LambdaApi(functions, "http://127.0.0.1");
        // as the daemon does at 'kiln up': the token and access key in its state directory, 0600
        dev.kiln.cluster.api.ApiToken token = dev.kiln.cluster.api.ApiToken.loadOrCreate(dir);
        dev.kiln.host.fn.LambdaCredentials keys = dev.kiln.host.fn.LambdaCredentials.loadOrCreate(dir);
        server = ClusterApiServer.start(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                "127.0.0.1", 0, Optional.empty(), LambdaApi.PREFIXES.stream().map(p -> new ClusterApiServer.Mount(p,
                        api.signed(new dev.kiln.host.fn.SigV4Verifier(() -> keys), Clock.systemUTC()),
                        ClusterApiServer.Access.TOKEN_OR_OWN)).toList(), token);
        url = server.uri().toString();
    }

    /** A kiln command line as a user types it; the daemon's state directory holds the API token. */
    private static CliRunner.Result run(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("--state-dir", dir.toString()));
        all.addAll(java.util.List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (functions != null) functions.close();
    }

    private static String code() {
        return Path.of(System.getProperty("kiln.project.root", "..")).resolve("examples/functions/python").toString();
    }

    @Test
    void createListInspectInvokeUpdateAndRemoveTheExampleFunction() {
        var created = run("fn", "create", "hello", "--runtime", "python3.11", "--handler", "app.handler",
                "--code", code(), "--server", url);
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("function hello created (python3.11, 128 MB");

        var ls = run("fn", "ls", "--server", url);
        assertThat(ls.out()).startsWith("NAME").contains("hello").contains("python3.11").contains("app.handler")
                .contains("128 MB");
        assertThat(run("fn", "ls", "--json", "--server", url).out()).contains("\"FunctionName\" : \"hello\"");
        assertThat(run("fn", "inspect", "hello", "--server", url).out())
                .contains("\"FunctionArn\" : \"arn:aws:lambda:kiln-local:000000000000:function:hello\"");

        var cold = run("fn", "invoke", "hello", "--payload", "{\"name\": \"kiln\"}", "--server", url);
        assertThat(cold.exitCode()).as(cold.err()).isZero();
        assertThat(cold.out().strip()).isEqualTo("{\"event\":{\"name\": \"kiln\"},\"memory\":128}");
        assertThat(cold.err()).contains("cold start, slot fn-hello-").contains("vmmStart 3 ms, kernelBoot 40 ms")
                .contains("runtimeInit 5 ms");
        assertThat(run("fn", "ls", "--server", url).out()).contains("1 idle, 0 busy");
        var warm = run("fn", "invoke", "hello", "--json", "--server", url);
        assertThat(warm.out()).contains("\"cold\" : false").contains("\"functionError\" : null");

        var failed = run("fn", "invoke", "hello", "--payload", "{\"fail\": 1}", "--server", url);
        assertThat(failed.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(failed.out()).contains("\"errorType\":\"ValueError\"");
        assertThat(failed.err()).contains("function error (Unhandled)");

        var updated = run("fn", "update", "hello", "--memory", "512", "--server", url);
        assertThat(updated.out()).contains("function hello updated (512 MB");
        assertThat(run("fn", "invoke", "hello", "--server", url).out()).contains("\"memory\":512");

        assertThat(run("fn", "rm", "hello", "--server", url).out()).contains("function hello removed");
        var gone = run("fn", "invoke", "hello", "--server", url);
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(gone.err()).contains("Function not found").contains("kiln fn ls");
    }

    @Test
    void badInputGetsAClearErrorAndAMissingServerSaysToStartIt() {
        var noCode = run("fn", "create", "x", "--code", dir.resolve("missing").toString(), "--server", url);
        assertThat(noCode.exitCode()).isEqualTo(ExitCodes.FILE_NOT_FOUND);
        assertThat(noCode.err()).contains("no such file or directory");
        var badMemory = run("fn", "create", "y", "--code", code(), "--memory", "64", "--server", url);
        assertThat(badMemory.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badMemory.err()).contains("MemorySize 64 is out of range");
        assertThat(run("fn", "ls", "--server", url).out()).doesNotContain("y ");
        var down = run("fn", "ls", "--server", "http://127.0.0.1:9");
        assertThat(down.exitCode()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(down.err()).contains("kiln up");
    }

    @Test
    void withoutTheTokenOrWithAWrongOneTheCommandsSayWhatToDo(@TempDir Path elsewhere) {
        var none = CliRunner.run("--state-dir", elsewhere.toString(), "fn", "ls", "--server", url);
        assertThat(none.exitCode()).isEqualTo(ExitCodes.UNAUTHENTICATED);
        assertThat(none.err()).contains("no API token: " + elsewhere.resolve("api-token") + " does not exist")
                .contains("KILN_API_TOKEN");

        dev.kiln.cluster.api.ApiToken.generate().write(elsewhere.resolve("api-token"));
        var wrong = CliRunner.run("--state-dir", elsewhere.toString(), "fn", "ls", "--server", url);
        assertThat(wrong.exitCode()).isEqualTo(ExitCodes.UNAUTHENTICATED);
        assertThat(wrong.err()).contains("not this API's token").contains("STATE_DIR/api-token");
        var cluster = CliRunner.run("--state-dir", elsewhere.toString(), "get", "hosts", "--server", url);
        assertThat(cluster.exitCode()).isEqualTo(ExitCodes.UNAUTHENTICATED);
        assertThat(cluster.err()).contains("not this API's token");
    }

    @Test
    void credentialsPrintsTheStoredAccessKeyForAwsTools() throws Exception {
        dev.kiln.host.fn.LambdaCredentials keys = dev.kiln.host.fn.LambdaCredentials.read(
                dir.resolve(dev.kiln.host.fn.LambdaCredentials.FILE)).orElseThrow();
        var profile = run("fn", "credentials");
        assertThat(profile.exitCode()).as(profile.err()).isZero();
        assertThat(profile.out()).isEqualTo("[kiln]\naws_access_key_id = " + keys.accessKeyId()
                + "\naws_secret_access_key = " + keys.secretAccessKey() + "\nregion = us-east-1\n");
        assertThat(run("fn", "credentials", "--env").out()).contains("export AWS_ACCESS_KEY_ID=" + keys.accessKeyId());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run("fn", "credentials", "--json").out());
        assertThat(json.path("secretAccessKey").asText()).isEqualTo(keys.secretAccessKey());

        // what the AWS tools then do: sign with it (here with kiln's signer); the API accepts the signature
        java.net.URI list = java.net.URI.create(url + "/2015-03-31/functions/");
        var headers = new java.util.TreeMap<String, java.util.List<String>>();
        headers.put("host", java.util.List.of(list.getHost() + ":" + list.getPort()));
        var request = java.net.http.HttpRequest.newBuilder(list);
        dev.kiln.host.fn.SigV4.sign(new dev.kiln.host.fn.SigV4.Request("GET", list.getRawPath(), "", headers,
                new byte[0]), json.path("accessKeyId").asText(), json.path("secretAccessKey").asText(), "us-east-1",
                "lambda", java.time.Instant.now()).forEach(request::header);
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            var answer = http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("\"Functions\"");
        }
        var missing = CliRunner.run("--state-dir", dir.resolve("nowhere").toString(), "fn", "credentials");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no Lambda credentials");
    }
}
