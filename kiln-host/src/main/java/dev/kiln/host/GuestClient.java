package dev.kiln.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.guest.GuestProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Talks to a guest's control endpoint over the VM's network (busybox httpd + CGI in kiln's guest image). */
final class GuestClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json;

    GuestClient(ObjectMapper json) {
        this.json = json;
    }

    record ExecResult(int exitCode, String output) {}

    /** True when the guest's control port accepts a TCP connection. */
    static boolean reachable(String ip, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ip, GuestProtocol.CONTROL_PORT), (int) timeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    JsonNode health(String ip) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + GuestProtocol.CONTROL_PORT + "/cgi-bin/health"))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return json.readTree(r.body());
        } catch (IOException e) {
            throw unreachable(ip, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(ip, e);
        }
    }

    ExecResult exec(String ip, String token, String command, Duration timeout) {
        URI uri = URI.create("http://" + ip + ":" + GuestProtocol.CONTROL_PORT + "/cgi-bin/exec?token="
                + URLEncoder.encode(token, StandardCharsets.UTF_8));
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(command)).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 403) {
                throw new HostException(HostError.HOST_ERROR, "the guest refused the exec token", "the VM's token does not match");
            }
            String body = r.body();
            int at = body.lastIndexOf("KILN_EXIT=");
            if (at < 0) {
                throw new HostException(HostError.HOST_ERROR, "the guest gave no exit code (HTTP " + r.statusCode() + ")",
                        "check the guest's console log");
            }
            int code = Integer.parseInt(body.substring(at + "KILN_EXIT=".length()).trim());
            return new ExecResult(code, body.substring(0, at));
        } catch (IOException e) {
            throw unreachable(ip, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(ip, e);
        }
    }

    private static HostException unreachable(String ip, Exception e) {
        return new HostException(HostError.HOST_ERROR, "cannot reach the guest at " + ip + ": " + e.getMessage(),
                "is the VM running and ready? see 'kiln vm logs'");
    }
}
