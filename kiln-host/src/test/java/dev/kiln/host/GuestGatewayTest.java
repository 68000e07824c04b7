package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guests' gateway on a real Jetty server on loopback: the input store's objects and the Invoke hand-off. */
class GuestGatewayTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();
    private Server server;
    private GuestGateway gateway;
    private volatile boolean asHost = true;
    private volatile Optional<String> callerVm = Optional.empty();
    private String base;

    /** Stands in for the image registry: answers 299 to anything, so a test sees what reached it. */
    private static final class Registry extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(299);
            response.write(true, ByteBuffer.wrap("registry".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        // the test's requests come from 127.0.0.1: it plays the host, or the guest callerVm names
        gateway = new GuestGateway(tmp.resolve("objects"), new Registry(),
                ip -> ip.equals("127.0.0.1") ? callerVm : Optional.empty(), ip -> asHost);
        server.setHandler(gateway);
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        http.close();
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, publisher).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void storesReadsAndDeletesObjects() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        assertThat(send("PUT", "/store/functionbench/inputs/small/video.avi", data).statusCode()).isEqualTo(200);
        assertThat(tmp.resolve("objects/functionbench/inputs/small/video.avi")).hasBinaryContent(data);

        HttpResponse<byte[]> got = send("GET", "/store/functionbench/inputs/small/video.avi", null);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(data);
        HttpResponse<byte[]> head = send("HEAD", "/store/functionbench/inputs/small/video.avi", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(data.length);

        assertThat(send("PUT", "/store/functionbench/inputs/small/video.avi", "v2".getBytes()).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", "/store/functionbench/inputs/small/video.avi", null).body()).asString()
                .isEqualTo("v2");
        assertThat(send("DELETE", "/store/functionbench/inputs/small/video.avi", null).statusCode()).isEqualTo(204);
        HttpResponse<byte[]> gone = send("GET", "/store/functionbench/inputs/small/video.avi", null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(new String(gone.body())).contains("no object inputs/small/video.avi");
        try (var files = Files.walk(tmp.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile)).as("no partial file left").isEmpty();
        }
    }

    @Test
    void refusesKeysAndBucketsThatLeaveTheStore() throws Exception {
        Files.writeString(tmp.resolve("secret"), "host file");
        for (String path : new String[] {"/store/functionbench/%2e%2e/%2e%2e/secret", "/store/functionbench/.hidden",
                "/store/functionbench/a//b", "/store/Bad_Bucket/key", "/store/functionbench"}) {
            HttpResponse<byte[]> answer = send("GET", path, null);
            assertThat(answer.statusCode()).as(path).isBetween(400, 404);
            assertThat(new String(answer.body())).as(path).doesNotContain("host file");
        }
        assertThat(new String(send("GET", "/store/../secret", null).body())).doesNotContain("host file");
        assertThat(send("PUT", "/store/functionbench/.x", "x".getBytes()).statusCode()).isEqualTo(400);
        assertThat(GuestGateway.badKey("a/../b")).isPresent();
        assertThat(GuestGateway.badKey("inputs/small/image.jpg")).isEmpty();
        assertThat(GuestGateway.badBucket("functionbench")).isEmpty();
        assertThat(GuestGateway.badBucket("ab")).isPresent();
        assertThat(send("POST", "/store/functionbench/k", "x".getBytes()).statusCode()).isEqualTo(405);
    }

    @Test
    void handsInvocationsToTheLambdaApiOnlyWhileFunctionsRun() throws Exception {
        String invoke = "/2015-03-31/functions/fb-mapreduce/invocations";
        HttpResponse<byte[]> none = send("POST", invoke, "{}".getBytes());
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(new String(none.body())).contains("serves no functions");

        gateway.lambda(Optional.of(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap(("invoked " + Request.getPathInContext(request))
                        .getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        }));
        HttpResponse<byte[]> invoked = send("POST", invoke, "{}".getBytes());
        assertThat(invoked.statusCode()).isEqualTo(200);
        assertThat(new String(invoked.body())).isEqualTo("invoked " + invoke);
        assertThat(send("GET", invoke, null).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/2015-03-31/functions/fb-mapreduce", null).statusCode())
                .as("no other Lambda call: it goes to the registry").isEqualTo(299);
        assertThat(send("GET", "/v2/", null).statusCode()).isEqualTo(299);
        gateway.lambda(Optional.empty());
        assertThat(send("POST", invoke, "{}".getBytes()).statusCode()).isEqualTo(503);
    }

    @Test
    void onlyTheHostAndFunctionSlotsUseTheStoreAndInvokeOtherGuestsGet403AndChangeNothing() throws Exception {
        String object = "/store/functionbench/inputs/k";
        String invoke = "/2015-03-31/functions/fb-mapreduce/invocations";
        java.util.concurrent.atomic.AtomicInteger invoked = new java.util.concurrent.atomic.AtomicInteger();
        gateway.lambda(Optional.of(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                invoked.incrementAndGet();
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        }));
        assertThat(send("PUT", object, "from the host".getBytes()).statusCode()).as("the host").isEqualTo(200);

        asHost = false;
        callerVm = Optional.of("fn-fb-mapreduce-a1b2c3"); // a function slot
        assertThat(send("GET", object, null).body()).asString().isEqualTo("from the host");
        assertThat(send("PUT", object, "from a slot".getBytes()).statusCode()).isEqualTo(200);
        assertThat(send("POST", invoke, "{}".getBytes()).statusCode()).isEqualTo(200);
        assertThat(invoked).hasValue(1);

        for (Optional<String> other : List.of(Optional.of("kn-workers-x1y2z"), Optional.of("web"),
                Optional.<String>empty())) {
            callerVm = other; // empty: an address of no VM of this host, and not the host's own
            for (String[] call : new String[][] {{"GET", object}, {"HEAD", object}, {"PUT", object},
                    {"DELETE", object}, {"POST", invoke}}) {
                HttpResponse<byte[]> refused = send(call[0], call[1], call[0].equals("GET") || call[0].equals("HEAD")
                        || call[0].equals("DELETE") ? null : "from another guest".getBytes());
                assertThat(refused.statusCode()).as("%s %s from %s", call[0], call[1], other).isEqualTo(403);
                if (!call[0].equals("HEAD")) {
                    assertThat(new String(refused.body())).as(call[0]).contains("function slots only",
                            other.map(n -> "VM " + n + ", not a function slot").orElse("no VM of this host"));
                }
            }
            assertThat(tmp.resolve("objects/functionbench/inputs/k")).hasContent("from a slot");
            assertThat(invoked).hasValue(1);
            assertThat(send("GET", "/v2/", null).statusCode()).as("the registry serves every guest").isEqualTo(299);
        }
    }

    @Test
    void theHostsOwnAddressesAreLocalAndOthersAreNot() {
        assertThat(GuestGateway.isLocalAddress("127.0.0.1")).isTrue();
        assertThat(GuestGateway.isLocalAddress("192.0.2.77")).as("TEST-NET-1, on no interface here").isFalse();
        assertThat(GuestGateway.isLocalAddress("not an address")).isFalse();
    }
}
