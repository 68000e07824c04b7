package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.host.FunctionReply;
import dev.kiln.host.fn.FunctionRouter;
import dev.kiln.host.fn.HomeHosts;
import dev.kiln.host.fn.LambdaApi;
import dev.kiln.host.fn.LambdaException;
import dev.kiln.host.fn.SlotManager;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.function.Supplier;

/**
 * Routes the cluster's function invocations between hosts ({@link FunctionRouter}): the hosts are this one and the
 * other Ready hosts ({@link PeerWitness#apis()}), ordered per function by {@link HomeHosts}; an invocation for
 * another host goes to its Lambda API with {@link LambdaApi#FORWARDED_BY}, and its answer (result, function error,
 * slot, cold-start phases) comes back as the slot manager's result. Only a host that cannot be reached is skipped:
 * once the request is sent, the function may have run, so a failure then is an error and not a retry elsewhere.
 */
final class PeerFunctions implements FunctionRouter {
    /** Longer than the longest function (900 s) plus a cold start under TCG. */
    private static final Duration INVOKE_TIMEOUT = Duration.ofMinutes(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String self;
    private final Supplier<Map<String, URI>> peers;
    private final Supplier<ApiToken> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** @param token the cluster's API token, which every host's API requires (the hosts share it) */
    PeerFunctions(String self, Supplier<Map<String, URI>> peers, Supplier<ApiToken> token) {
        this.self = self;
        this.peers = peers;
        this.token = token;
    }

    @Override
    public String self() {
        return self;
    }

    @Override
    public List<String> rank(String function) {
        List<String> hosts = new ArrayList<>(peers.get().keySet());
        hosts.add(self);
        return HomeHosts.rank(function, hosts);
    }

    @Override
    public SlotManager.Result forward(String host, String function, byte[] payload) {
        URI api = peers.get().get(host);
        if (api == null) {
            throw new PeerUnavailableException("not a Ready host now");
        }
        HttpRequest request = HttpRequest.newBuilder(api.resolve("/2015-03-31/functions/"
                        + URLEncoder.encode(function, StandardCharsets.UTF_8) + "/invocations"))
                .timeout(INVOKE_TIMEOUT).header(LambdaApi.FORWARDED_BY, self).header("Authorization", token.get().header())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new PeerUnavailableException("cannot connect to " + api + ": " + e.getMessage());
        } catch (IOException e) {
            throw new LambdaException(502, "ServiceException", "host " + host + " failed while running " + function
                    + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LambdaException(500, "ServiceException", "interrupted while " + host + " ran " + function);
        }
        HttpHeaders h = response.headers();
        if (response.statusCode() != 200) {
            throw error(host, response.statusCode(), h, response.body());
        }
        FunctionReply reply = new FunctionReply(h.firstValue(LambdaApi.KILN_REQUEST_ID).orElse(""),
                h.firstValue(LambdaApi.KILN_FUNCTION_ERROR), response.body(),
                h.firstValue(LambdaApi.KILN_INIT_MS).map(Double::parseDouble),
                h.firstValue(LambdaApi.KILN_DURATION_MS).map(Double::parseDouble).orElse(0.0));
        return new SlotManager.Result(reply, h.firstValue(LambdaApi.KILN_SLOT).orElse(""),
                h.firstValue(LambdaApi.KILN_COLD).map(Boolean::parseBoolean).orElse(false),
                phases(h.firstValue(LambdaApi.KILN_OPEN_PHASES).orElse("")));
    }

    /** {@code a=1;b=2} back into an ordered map. */
    static SequencedMap<String, Long> phases(String header) {
        SequencedMap<String, Long> out = new LinkedHashMap<>();
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                try {
                    out.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    // a phase that is not a number of ms is left out
                }
            }
        }
        return out;
    }

    private static RuntimeException error(String host, int status, HttpHeaders h, byte[] body) {
        String message;
        Optional<String> reason = Optional.empty();
        try {
            JsonNode doc = JSON.readTree(body);
            message = doc.path("message").asText(doc.path("Message").asText(""));
            reason = Optional.ofNullable(doc.get("Reason")).map(JsonNode::asText);
        } catch (IOException e) {
            message = new String(body, StandardCharsets.UTF_8);
        }
        Optional<String> type = h.firstValue("X-Amzn-ErrorType");
        if (status >= 500 && type.isEmpty()) { // not Lambda's answer: the host itself is broken
            return new PeerUnavailableException("HTTP " + status + ": " + message);
        }
        return new LambdaException(status, type.orElse("ServiceException"), message + " (on host " + host + ")",
                reason);
    }
}
