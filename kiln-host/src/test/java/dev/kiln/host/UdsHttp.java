package dev.kiln.host;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;

/** A minimal HTTP client on the agent's Unix socket, for tests. */
final class UdsHttp implements AutoCloseable {
    private final HttpClient client;
    private final Transport transport;

    record Reply(int status, String body) {}

    UdsHttp(Path socket) {
        client = new HttpClient();
        transport = new Transport.TCPUnix(socket);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Reply send(String method, String path, String body) {
        try {
            var req = client.newRequest("http://localhost" + path).transport(transport).method(method).timeout(180, TimeUnit.SECONDS);
            if (body != null) req.body(new StringRequestContent("application/json", body));
            ContentResponse r = req.send();
            return new Reply(r.getStatus(), r.getContentAsString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
