package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import dev.kiln.cluster.api.ApiToken;

/**
 * A small client of kiln's Lambda-compatible API (what {@code kiln fn} uses): JSON in, JSON out, and Lambda's errors
 * ({@code X-Amzn-ErrorType} and the message) turned into kiln's error output and exit codes.
 */
final class LambdaHttp {
    static final String FUNCTIONS = "/2015-03-31/functions";

    /** An answer: status, headers, raw body. */
    record Answer(int status, Map<String, java.util.List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst().orElse(null);
        }
    }

    private final URI server;
    private final ObjectMapper json;
    private final ApiToken token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param token kiln's API token, which the Lambda API accepts beside Signature Version 4 */
    LambdaHttp(URI server, ObjectMapper json, ApiToken token) {
        this.server = server;
        this.json = json;
        this.token = token;
    }

    JsonNode get(String path) {
        return parse(send("GET", path, null, Map.of(), Duration.ofSeconds(30)));
    }

    JsonNode sendJson(String method, String path, JsonNode body) {
        return parse(send(method, path, bytes(body), Map.of("Content-Type", "application/json"),
                Duration.ofMinutes(2)));
    }

    /** Sends; a Lambda error (4xx/5xx) becomes a {@link CliException}. */
    Answer send(String method, String path, byte[] body, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        b.header("Authorization", token.header());
        headers.forEach(b::header);
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new CliException("UNAVAILABLE", "cannot reach kiln's Lambda API at " + server,
                    "start the cluster with 'kiln up' (it serves functions on port 7070), or pass --server",
                    ExitCodes.DAEMON_UNREACHABLE, e);
        } catch (HttpTimeoutException e) {
            throw new CliException("TIMEOUT", method + " " + path + " took longer than " + timeout.toSeconds() + " s",
                    "a cold start under TCG takes tens of seconds; try again", ExitCodes.TIMEOUT, e);
        } catch (IOException e) {
            throw new CliException("UNAVAILABLE", "talking to " + server + ": " + e.getMessage(), "",
                    ExitCodes.DAEMON_UNREACHABLE, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("INTERRUPTED", "interrupted", "", ExitCodes.FAILURE, e);
        }
        Answer a = new Answer(r.statusCode(), r.headers().map(), r.body());
        if (a.status() >= 400) {
            String type = a.header("X-Amzn-ErrorType");
            String message = new String(a.body());
            try {
                message = json.readTree(a.body()).path("message").asText(message);
            } catch (IOException e) {
                // not JSON: the raw body is the message
            }
            int exit = switch (a.status()) {
                case 404 -> ExitCodes.NOT_FOUND;
                case 409 -> ExitCodes.CONFLICT;
                case 400, 413 -> ExitCodes.USAGE;
                case 401, 403 -> ExitCodes.UNAUTHENTICATED;
                default -> ExitCodes.FAILURE;
            };
            String hint = switch (a.status()) {
                case 404 -> "list functions with 'kiln fn ls'";
                case 429 -> "too many invocations at once for its reserved concurrency; try again";
                case 401 -> "the token is in STATE_DIR/api-token of a daemon of this cluster; pass --state-dir, or "
                        + "set " + ApiToken.ENV;
                default -> "";
            };
            throw new CliException(type == null ? "HTTP_" + a.status() : type, message, hint, exit);
        }
        return a;
    }

    private JsonNode parse(Answer a) {
        if (a.body().length == 0) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(a.body());
        } catch (IOException e) {
            throw new CliException("INTERNAL", "the API answered with something that is not JSON: " + e.getMessage(),
                    "", ExitCodes.FAILURE, e);
        }
    }

    private byte[] bytes(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
