package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.host.fn.FunctionService;
import dev.kiln.host.fn.HomeHosts;
import dev.kiln.host.fn.KvFunctionStore;
import dev.kiln.host.fn.LambdaApi;
import dev.kiln.host.fn.LambdaApiTest;
import dev.kiln.host.fn.SlotManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three hosts' function services in one process, each with its own Lambda API on its own port and its own slots
 * (in memory: this is about routing, not about VMs), sharing one store as a cluster's hosts share etcd: every host
 * sees every function, an invocation received by any host runs on the function's home host, and falls back to the
 * next host in its order when the home is down or throttles. Real HTTP between the hosts.
 */
class FunctionRoutingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("h1", "h2", "h3");

    private record TestHost(String name, LambdaApiTest.EchoSlots slots, FunctionService functions,
                            ClusterApiServer server, ClusterSecrets secrets) {
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path states;

    private final Map<String, TestHost> hosts = new LinkedHashMap<>();
    /** The Ready hosts' APIs as every host sees them (a host taken down leaves it). */
    private final Map<String, URI> ready = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        KvStore kv = KvStore.memory(Clock.systemUTC());
        for (String name : HOSTS) {
            LambdaApiTest.EchoSlots slots = new LambdaApiTest.EchoSlots();
            SlotManager manager = new SlotManager(slots, Clock.systemUTC(), new SlotManager.Config(Duration.ofMinutes(5),
                    8, 0, Duration.ZERO, Duration.ofSeconds(5)));
            FunctionService functions = new FunctionService(new KvFunctionStore(kv), manager,
                    image -> true, FunctionService.Settings.defaults(), Clock.systemUTC(), Duration.ofMinutes(1));
            // each host has its own state directory; the store makes their secrets the first host's
            ClusterSecrets secrets = ClusterSecrets.establish(states.resolve(name), kv);
            LambdaApi lambda = new LambdaApi(functions, "http://127.0.0.1");
            ClusterApiServer server = ClusterApiServer.start(new ResourceStore(kv, Clock.systemUTC()), "127.0.0.1", 0,
                    Optional.empty(), LambdaApi.PREFIXES.stream().map(p -> new ClusterApiServer.Mount(p,
                            lambda.signed(new dev.kiln.host.fn.SigV4Verifier(secrets::credentials), Clock.systemUTC()),
                            ClusterApiServer.Access.TOKEN_OR_OWN)).toList(), secrets.token());
            functions.routeWith(new PeerFunctions(name, () -> {
                Map<String, URI> others = new LinkedHashMap<>(ready);
                others.remove(name);
                return others;
            }, secrets::token));
            hosts.put(name, new TestHost(name, slots, functions, server, secrets));
            ready.put(name, server.uri());
        }
    }

    @AfterEach
    void stop() {
        hosts.values().forEach(h -> {
            h.slots().hold.countDown();
            h.server().close();
            h.functions().close();
        });
    }

    private HttpResponse<String> send(String host, String method, String path, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(hosts.get(host).server().uri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        b.header("Authorization", hosts.get(host).secrets().token().header());
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void create(String via, String name) throws Exception {
        String zip = Base64.getEncoder().encodeToString(LambdaApiTest.zip("app.py", "def handler(e, c): return e"));
        HttpResponse<String> r = send(via, "POST", "/2015-03-31/functions", JSON.createObjectNode()
                .put("FunctionName", name).put("Runtime", "python3.12").put("Handler", "app.handler")
                .put("Role", "arn:aws:iam::000000000000:role/any").set("Code", JSON.createObjectNode()
                        .put("ZipFile", zip)).toString(), Map.of());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private HttpResponse<String> invoke(String via, String name, String event) throws Exception {
        return send(via, "POST", "/2015-03-31/functions/" + name + "/invocations", event, Map.of());
    }

    @Test
    void theHostsShareTheFirstHostsSecretsAndEachKeepsThemRootOnly() throws Exception {
        ClusterSecrets first = hosts.get("h1").secrets();
        for (TestHost h : hosts.values()) {
            assertThat(h.secrets().token().value()).isEqualTo(first.token().value());
            assertThat(h.secrets().credentials()).isEqualTo(first.credentials());
            java.nio.file.Path token = states.resolve(h.name()).resolve(dev.kiln.cluster.api.ApiToken.FILE);
            java.nio.file.Path keys = states.resolve(h.name()).resolve(dev.kiln.host.fn.LambdaCredentials.FILE);
            assertThat(java.nio.file.Files.readString(token).strip()).isEqualTo(first.token().value());
            for (java.nio.file.Path p : List.of(token, keys)) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
            }
        }
        // a host's request without the token is refused; the forwarding between hosts carries it
        HttpResponse<String> bare = http.send(HttpRequest.newBuilder(hosts.get("h2").server().uri()
                .resolve("/apis/kiln.dev/v1/hosts")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bare.statusCode()).isEqualTo(401);
    }

    @Test
    void anInvocationReceivedByAnyHostRunsOnTheFunctionsHomeHost() throws Exception {
        create("h1", "hello");
        String home = HomeHosts.rank("hello", HOSTS).getFirst();
        for (String via : HOSTS) {
            HttpResponse<String> r = invoke(via, "hello", "{\"from\": \"" + via + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("echo").path("from").asText()).isEqualTo(via);
            assertThat(r.headers().firstValue(LambdaApi.KILN_HOST)).as("received by " + via).contains(home);
        }
        assertThat(hosts.get(home).slots().opened).as("one slot on the home host, warm for all three").hasValue(1);
        HOSTS.stream().filter(h -> !h.equals(home))
                .forEach(h -> assertThat(hosts.get(h).slots().opened).as(h).hasValue(0));

        String other = HOSTS.stream().filter(h -> !h.equals(home)).findFirst().orElseThrow();
        HttpResponse<String> failed = invoke(other, "hello", "{\"fail\": true}");
        assertThat(failed.statusCode()).isEqualTo(200);
        assertThat(failed.headers().firstValue("X-Amz-Function-Error")).contains("Unhandled");
        assertThat(JSON.readTree(failed.body()).path("errorType").asText()).isEqualTo("ValueError");
        assertThat(failed.headers().firstValue(LambdaApi.KILN_HOST)).contains(home);
    }

    @Test
    void whenTheHomeHostIsDownTheNextHostInTheFunctionsOrderRunsIt() throws Exception {
        create("h2", "hello");
        List<String> order = HomeHosts.rank("hello", HOSTS);
        String home = order.get(0);
        String via = order.get(2); // neither the home nor the fallback: it forwards both times
        hosts.get(home).server().close(); // down, but still listed as Ready (its lease has not run out yet)
        HttpResponse<String> r = invoke(via, "hello", "{}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue(LambdaApi.KILN_HOST)).contains(order.get(1));

        ready.remove(order.get(1)); // and once the fallback leaves too, the receiving host runs it itself
        HttpResponse<String> last = invoke(via, "hello", "{}");
        assertThat(last.statusCode()).as(last.body()).isEqualTo(200);
        assertThat(last.headers().firstValue(LambdaApi.KILN_HOST)).contains(via);
    }

    @Test
    void whenTheHomeHostThrottlesTheNextHostRunsIt() throws Exception {
        create("h1", "hello");
        List<String> order = HomeHosts.rank("hello", HOSTS);
        String home = order.getFirst();
        // a reserved concurrency of 1 (enforced per host): one invocation held busy on the home host fills it
        assertThat(send("h1", "PUT", "/2017-10-31/functions/hello/concurrency",
                "{\"ReservedConcurrentExecutions\": 1}", Map.of()).statusCode()).isEqualTo(200);
        hosts.get(home).slots().hold = new CountDownLatch(1);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<HttpResponse<String>> held = threads.submit(() -> invoke(home, "hello", "{\"hold\": true}"));
            while (hosts.get(home).slots().opened.get() == 0) {
                Thread.sleep(10);
            }
            HttpResponse<String> r = invoke(home, "hello", "{}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue(LambdaApi.KILN_HOST)).contains(order.get(1));
            hosts.get(home).slots().hold.countDown();
            assertThat(held.get().headers().firstValue(LambdaApi.KILN_HOST)).contains(home);
        }
    }

    @Test
    void changesMadeOnOneHostReachTheSlotsOfAnother() throws Exception {
        create("h1", "hello");
        String home = HomeHosts.rank("hello", HOSTS).getFirst();
        String other = HOSTS.stream().filter(h -> !h.equals(home)).findFirst().orElseThrow();
        assertThat(invoke(other, "hello", "{}").statusCode()).isEqualTo(200);
        LambdaApiTest.EchoSlots slots = hosts.get(home).slots();
        assertThat(slots.opened).hasValue(1);

        // a configuration change made on another host: the home host's next invocation uses a new slot
        assertThat(send(other, "PUT", "/2015-03-31/functions/hello/configuration", "{\"MemorySize\": 256}",
                Map.of()).statusCode()).isEqualTo(200);
        HttpResponse<String> r = invoke(other, "hello", "{}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(slots.opened).as("the new revision's slot").hasValue(2);
        assertThat(slots.closed).as("the old revision's slot, closed").hasSize(1);

        // deleted on another host: every host answers 404, and the home host closes its slots
        assertThat(send(other, "DELETE", "/2015-03-31/functions/hello", null, Map.of()).statusCode())
                .isEqualTo(204);
        for (String via : HOSTS) {
            assertThat(invoke(via, "hello", "{}").statusCode()).isEqualTo(404);
        }
        hosts.get(home).functions().retireStale();
        assertThat(slots.closed).hasSize(2);
    }
}
