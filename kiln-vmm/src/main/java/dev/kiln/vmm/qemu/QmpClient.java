package dev.kiln.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QEMU Machine Protocol client on a Unix socket: one JSON object per line, commands matched to replies by id,
 * asynchronous events handed to a listener. EOF on the socket means the QEMU process is gone.
 */
final class QmpClient implements AutoCloseable {
    private final ObjectMapper json;
    private final SocketChannel channel;
    private final OutputStream out;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean closing;

    private QmpClient(ObjectMapper json, SocketChannel channel) {
        this.json = json;
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects, reads the greeting and negotiates capabilities. */
    static QmpClient connect(ObjectMapper json, Path socket, Consumer<JsonNode> events, Duration timeout) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new VmmException(VmmError.QMP_ERROR, "cannot connect to QMP socket " + socket + ": " + e.getMessage(),
                    "the VMM may have exited; see its log", e);
        }
        QmpClient client = new QmpClient(json, ch);
        CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
        client.pending.put("greeting", greeting);
        Thread.ofVirtual().name("qmp-reader-" + socket.getParent().getFileName()).start(() -> client.readLoop(events));
        client.await(greeting, timeout, "QMP greeting");
        client.execute("qmp_capabilities", Map.of(), timeout);
        return client;
    }

    /** Completes when the connection has ended (normally: the QEMU process exited). */
    CompletableFuture<Void> closedFuture() {
        return closed;
    }

    JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        String id = "k" + ids.incrementAndGet();
        ObjectNode msg = json.createObjectNode();
        msg.put("execute", command);
        if (!arguments.isEmpty()) {
            msg.set("arguments", json.valueToTree(arguments));
        }
        msg.put("id", id);
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            byte[] bytes = (json.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
        } catch (IOException e) {
            pending.remove(id);
            throw new VmmException(VmmError.QMP_ERROR, "QMP " + command + " failed: " + e.getMessage(),
                    "the VMM may have exited; see its log", e);
        }
        JsonNode response = await(reply, timeout, "QMP " + command);
        if (response.has("error")) {
            JsonNode err = response.get("error");
            throw new VmmException(VmmError.QMP_ERROR,
                    "QMP " + command + " failed: " + err.path("class").asText() + ": " + err.path("desc").asText(),
                    "see the VMM log");
        }
        return response.path("return");
    }

    private JsonNode await(CompletableFuture<JsonNode> f, Duration timeout, String what) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new VmmException(VmmError.TIMEOUT, what + " got no answer within " + timeout.toMillis() + " ms",
                    "the VMM is not responding; kill it with 'kiln vm kill'");
        } catch (ExecutionException e) {
            throw new VmmException(VmmError.QMP_ERROR, what + " failed: " + e.getCause().getMessage(),
                    "the VMM may have exited; see its log", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmError.QMP_ERROR, what + " interrupted", "retry", e);
        }
    }

    private void readLoop(Consumer<JsonNode> events) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode msg = json.readTree(line);
                if (msg.has("QMP")) {
                    complete("greeting", msg);
                } else if (msg.has("event")) {
                    try {
                        events.accept(msg);
                    } catch (RuntimeException e) {
                        // a listener's fault must not end the connection
                    }
                } else if (msg.has("id")) {
                    complete(msg.get("id").asText(), msg);
                }
            }
        } catch (IOException e) {
            // fall through: the connection is over
        } finally {
            IOException gone = new IOException(closing ? "QMP connection closed" : "QMP connection lost (VMM exited)");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
            closed.complete(null);
        }
    }

    private void complete(String id, JsonNode msg) {
        CompletableFuture<JsonNode> f = pending.remove(id);
        if (f != null) f.complete(msg);
    }

    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
