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
        server = ClusterApiServer.start(new ResourceStore(KvStore.memory(Clock.systemUTC()), Clock.systemUTC()),
                "127.0.0.1", 0, Optional.empty(),
                LambdaApi.PREFIXES.stream().map(p -> new ClusterApiServer.Mount(p, api)).toList());
        url = server.uri().toString();
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
        var created = CliRunner.run("fn", "create", "hello", "--runtime", "python3.11", "--handler", "app.handler",
                "--code", code(), "--server", url);
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("function hello created (python3.11, 128 MB");

        var ls = CliRunner.run("fn", "ls", "--server", url);
        assertThat(ls.out()).startsWith("NAME").contains("hello").contains("python3.11").contains("app.handler")
                .contains("128 MB");
        assertThat(CliRunner.run("fn", "ls", "--json", "--server", url).out()).contains("\"FunctionName\" : \"hello\"");
        assertThat(CliRunner.run("fn", "inspect", "hello", "--server", url).out())
                .contains("\"FunctionArn\" : \"arn:aws:lambda:kiln-local:000000000000:function:hello\"");

        var cold = CliRunner.run("fn", "invoke", "hello", "--payload", "{\"name\": \"kiln\"}", "--server", url);
        assertThat(cold.exitCode()).as(cold.err()).isZero();
        assertThat(cold.out().strip()).isEqualTo("{\"event\":{\"name\": \"kiln\"},\"memory\":128}");
        assertThat(cold.err()).contains("cold start, slot fn-hello-").contains("vmmStart 3 ms, kernelBoot 40 ms")
                .contains("runtimeInit 5 ms");
        assertThat(CliRunner.run("fn", "ls", "--server", url).out()).contains("1 idle, 0 busy");
        var warm = CliRunner.run("fn", "invoke", "hello", "--json", "--server", url);
        assertThat(warm.out()).contains("\"cold\" : false").contains("\"functionError\" : null");

        var failed = CliRunner.run("fn", "invoke", "hello", "--payload", "{\"fail\": 1}", "--server", url);
        assertThat(failed.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(failed.out()).contains("\"errorType\":\"ValueError\"");
        assertThat(failed.err()).contains("function error (Unhandled)");

        var updated = CliRunner.run("fn", "update", "hello", "--memory", "512", "--server", url);
        assertThat(updated.out()).contains("function hello updated (512 MB");
        assertThat(CliRunner.run("fn", "invoke", "hello", "--server", url).out()).contains("\"memory\":512");

        assertThat(CliRunner.run("fn", "rm", "hello", "--server", url).out()).contains("function hello removed");
        var gone = CliRunner.run("fn", "invoke", "hello", "--server", url);
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(gone.err()).contains("Function not found").contains("kiln fn ls");
    }

    @Test
    void badInputGetsAClearErrorAndAMissingServerSaysToStartIt() {
        var noCode = CliRunner.run("fn", "create", "x", "--code", dir.resolve("missing").toString(), "--server", url);
        assertThat(noCode.exitCode()).isEqualTo(ExitCodes.FILE_NOT_FOUND);
        assertThat(noCode.err()).contains("no such file or directory");
        var badMemory = CliRunner.run("fn", "create", "y", "--code", code(), "--memory", "64", "--server", url);
        assertThat(badMemory.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badMemory.err()).contains("MemorySize 64 is out of range");
        assertThat(CliRunner.run("fn", "ls", "--server", url).out()).doesNotContain("y ");
        var down = CliRunner.run("fn", "ls", "--server", "http://127.0.0.1:9");
        assertThat(down.exitCode()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(down.err()).contains("kiln up");
    }
}
