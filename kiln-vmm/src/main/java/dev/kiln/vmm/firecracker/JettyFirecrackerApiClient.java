package dev.kiln.vmm.firecracker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Transport;

/** {@link FirecrackerApiClient} over Jetty's HTTP client on a Unix domain socket. */
final class JettyFirecrackerApiClient implements FirecrackerApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> INSTANCE_INFO_FIELDS = Set.of("app_name", "id", "state", "vmm_version");
    private static final Set<String> MACHINE_CONFIG_FIELDS =
            Set.of("vcpu_count", "mem_size_mib", "smt", "track_dirty_pages", "huge_pages", "cpu_template");

    private final Path apiSocket;
    private final Duration timeout;
    private final HttpClient http;

    private JettyFirecrackerApiClient(Path apiSocket, Duration timeout, HttpClient http) {
        this.apiSocket = apiSocket;
        this.timeout = timeout;
        this.http = http;
    }

    static JettyFirecrackerApiClient start(Path apiSocket, Duration timeout) {
        FcChecks.socketPath("Firecracker API socket", apiSocket);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw FcChecks.invalid("API timeout " + timeout + " is not positive", "use e.g. 5s");
        }
        HttpClient http = new HttpClient();
        http.setName("firecracker-api-" + apiSocket.getFileName());
        http.setConnectTimeout(timeout.toMillis());
        try {
            http.start();
        } catch (Exception e) {
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot start the HTTP client for " + apiSocket,
                    "this is a bug in kiln; see the cause", e);
        }
        return new JettyFirecrackerApiClient(apiSocket, timeout, http);
    }

    @Override
    public void send(FcRequest request) {
        FcCall call = FcCall.callOf(request);
        ContentResponse response = exchange(call);
        if (response.getStatus() != 204) {
            throw refusal(call, response);
        }
    }

    @Override
    public InstanceInfo describeInstance() {
        JsonNode n = get("/", INSTANCE_INFO_FIELDS);
        return new InstanceInfo(text(n, "app_name"), text(n, "id"), FcState.fromWire(text(n, "state")),
                text(n, "vmm_version"));
    }

    @Override
    public MachineConfig machineConfig() {
        JsonNode n = get("/machine-config", MACHINE_CONFIG_FIELDS);
        String huge = n.path("huge_pages").asText("None");
        HugePages hugePages = switch (huge) {
            case "None" -> HugePages.NONE;
            case "2M" -> HugePages.TWO_MB;
            default -> throw unexpected("/machine-config", "huge_pages '" + huge + "'");
        };
        return new MachineConfig(integer(n, "vcpu_count"), integer(n, "mem_size_mib"), n.path("smt").asBoolean(false),
                n.path("track_dirty_pages").asBoolean(false), hugePages,
                Optional.ofNullable(n.get("cpu_template")).map(JsonNode::asText).filter(t -> !t.equals("None")));
    }

    @Override
    public Path apiSocket() {
        return apiSocket;
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // Stopping only releases threads and selectors; nothing a caller could act on.
        }
    }

    private JsonNode get(String path, Set<String> knownFields) {
        FcCall call = new FcCall(FcCall.Method.GET, path, Optional.empty(), AllowedWhen.ALWAYS);
        ContentResponse response = exchange(call);
        if (response.getStatus() != 200) {
            throw refusal(call, response);
        }
        JsonNode n;
        try {
            n = JSON.readTree(response.getContentAsString());
        } catch (JsonProcessingException e) {
            throw unexpected(path, "a body that is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw unexpected(path, "a body that is not a JSON object");
        }
        for (Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!knownFields.contains(name)) {
                throw unexpected(path, "unknown field '" + name + "'");
            }
        }
        return n;
    }

    private ContentResponse exchange(FcCall call) {
        Request request = http.newRequest("http://localhost" + call.path())
                .method(call.method().name())
                .transport(new Transport.TCPUnix(apiSocket))
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put("Accept", "application/json"));
        // Firecracker's HTTP server takes bodies only with a Content-Length (no chunking) and a bare media type.
        call.body().ifPresent(b -> request.body(
                new BytesRequestContent("application/json", b.toString().getBytes(StandardCharsets.UTF_8))));
        try {
            return request.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(VmmError.TIMEOUT, call.describe() + " was interrupted", "retry the operation", e);
        } catch (TimeoutException e) {
            throw new VmmException(VmmError.TIMEOUT,
                    call.describe() + " got no answer within " + timeout + " on " + apiSocket,
                    "the Firecracker process may be stuck; see its log", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new VmmException(VmmError.VMM_START_FAILED,
                    call.describe() + " could not reach Firecracker on " + apiSocket + ": " + cause.getMessage(),
                    "check that firecracker is running with --api-sock " + apiSocket, cause);
        }
    }

    /** Maps Firecracker's refusal to kiln's error: a phase error, bad input, or a failure of the VMM itself. */
    private static FirecrackerApiException refusal(FcCall call, ContentResponse response) {
        int status = response.getStatus();
        String fault = faultMessage(response.getContentAsString());
        String lower = fault.toLowerCase(java.util.Locale.ROOT);
        if (status == 400 && (lower.contains("not supported before starting")
                || lower.contains("not supported after starting"))) {
            return new FirecrackerApiException(VmmError.INVALID_PHASE, call.describe(), status, fault,
                    "this call is allowed " + switch (call.allowedWhen()) {
                        case PRE_BOOT -> "only before InstanceStart";
                        case POST_BOOT -> "only after InstanceStart";
                        case ALWAYS -> "at any time";
                    });
        }
        if (status >= 400 && status < 500) {
            return new FirecrackerApiException(VmmError.INVALID_SPEC, call.describe(), status, fault,
                    "Firecracker rejected the request's values; fix the VM spec");
        }
        return new FirecrackerApiException(VmmError.VMM_START_FAILED, call.describe(), status, fault,
                "Firecracker failed internally; see its log");
    }

    private static String faultMessage(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.hasNonNull("fault_message")) {
                return n.get("fault_message").asText();
            }
        } catch (JsonProcessingException e) {
            // fall through: report the raw body
        }
        return body == null ? "" : body.strip();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw unexpected("", "missing or non-text '" + field + "'");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw unexpected("", "missing or non-integer '" + field + "'");
        }
        return v.intValue();
    }

    private static VmmException unexpected(String path, String what) {
        return new VmmException(VmmError.VMM_START_FAILED, "Firecracker answered GET " + path + " with " + what,
                "kiln speaks the Firecracker v1.16 API; check the firecracker binary's version");
    }
}
