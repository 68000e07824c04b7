package dev.kiln.cli;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;

/** A tiny stand-in for the kiln daemon on a Unix socket: canned answers keyed by "METHOD /path". */
final class FakeDaemon implements AutoCloseable {
    /** What a route answers: a status and a body, or several chunks written with flushes in between. */
    record Answer(int status, String contentType, List<String> chunks) {
        static Answer json(int status, String body) {
            return new Answer(status, "application/json", List.of(body));
        }

        static Answer text(String... chunks) {
            return new Answer(200, "text/plain", List.of(chunks));
        }
    }

    /** A request as the fake daemon saw it. */
    record Seen(String method, String path, String query, String body) {
    }

    private final Server server = new Server();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final Path socket;

    FakeDaemon(Path socket) throws Exception {
        this.socket = socket;
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                String path = request.getHttpURI().getPath();
                String query = request.getHttpURI().getQuery() == null ? "" : request.getHttpURI().getQuery();
                seen.add(new Seen(request.getMethod(), path, query, body));
                Answer a = answers.getOrDefault(request.getMethod() + " " + path, Answer.json(404,
                        "{\"error\":{\"code\":\"VM_NOT_FOUND\",\"message\":\"no route " + path + "\",\"hint\":\"\"}}"));
                response.setStatus(a.status());
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, a.contentType());
                try (OutputStream out = Content.Sink.asOutputStream(response)) {
                    for (String chunk : a.chunks()) {
                        out.write(chunk.getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                callback.succeeded();
                return true;
            }
        });
        server.start();
    }

    FakeDaemon answer(String methodAndPath, Answer answer) {
        answers.put(methodAndPath, answer);
        return this;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the fake daemon", e);
        }
    }
}
