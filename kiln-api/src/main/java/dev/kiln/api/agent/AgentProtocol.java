package dev.kiln.api.agent;

/**
 * The wire contract between the host and the kiln guest agent ({@code kiln-agent}), which runs inside every guest
 * and manages containers there with runc.
 *
 * <h2>Transport</h2>
 * HTTP/1.1 on TCP port {@link #PORT} of the guest (the busybox control endpoint keeps 10070). Bodies are JSON
 * (UTF-8) of the records in this package; unknown fields are errors; times are ISO-8601 text ({@code Instant}
 * as {@code 2026-11-23T03:00:00Z}, {@code Duration} as {@code PT1.5S}); byte sizes are plain numbers of bytes.
 *
 * <h2>Authentication</h2>
 * Every request except {@code GET /v1/health} must carry {@code Authorization: Bearer <token>}. The token is
 * per VM: the host generates it, passes it on the kernel command line ({@code kiln.token}), the guest's init
 * writes it to {@link #TOKEN_FILE} (mode 0600) and the agent reads it from there at start. A missing or wrong
 * token gives 401 with an {@link AgentError}; an agent without a token refuses every authenticated call.
 *
 * <h2>Endpoints</h2>
 * <pre>
 * GET    /v1/health                          {"status":"ok"}, no token
 * GET    /v1/facts                           GuestFacts
 * POST   /v1/images/pull                     PullRequest -> ImageInfo
 * POST   /v1/containers                      ContainerSpec -> 201 ContainerInfo (pulls, creates, starts)
 * GET    /v1/containers                      [ContainerInfo]
 * GET    /v1/containers/{id}                 ContainerInfo ({id} is the id or the name)
 * POST   /v1/containers/{id}/stop?timeout=   ContainerInfo (timeout: ISO-8601 duration or seconds)
 * DELETE /v1/containers/{id}?force=true      204 (a running container needs force)
 * POST   /v1/containers/{id}/exec            ExecRequest -> ExecResult
 * GET    /v1/containers/{id}/logs?follow=&amp;stream=stdout|stderr|both   text/plain, chunked while following
 * GET    /v1/containers/{id}/stats           ContainerStats
 * PUT    /v1/containers/{id}/files?path=&amp;mode=   body = file content, 204
 * GET    /v1/containers/{id}/files?path=     application/octet-stream
 * PUT    /v1/function/code                   body = the function's code as a zip (at most 50 MB), 204
 * POST   /v1/function                        FunctionSetup -> 201 FunctionState (starts the runtime; init goes on)
 * GET    /v1/function                        FunctionState
 * POST   /v1/function/invoke                 body = the event (at most 6 MB) -> 200, body = result or error
 *                                            document; headers X-Kiln-Request-Id, X-Kiln-Function-Error (the
 *                                            error's type, only on errors), X-Kiln-Init-Ms (cold), X-Kiln-Duration-Ms
 * DELETE /v1/function                        204 (stops the runtime)
 * </pre>
 * A guest that runs a function also serves it the AWS Lambda Runtime API on {@code 127.0.0.1:9001}.
 * Errors: a 4xx/5xx status and an {@link AgentError} body.
 */
public final class AgentProtocol {
    /** TCP port of the agent in the guest. */
    public static final int PORT = 10071;
    /** Where the guest's init leaves the per-VM token. */
    public static final String TOKEN_FILE = "/run/kiln/token";
    /** The agent's state on the VM's scratch disk (image cache, containers). */
    public static final String STATE_DIR = "/var/lib/kiln";

    /** Header that carries the token. */
    public static final String AUTHORIZATION_HEADER = "Authorization";
    /** Scheme of the token, followed by one space and the token. */
    public static final String BEARER_PREFIX = "Bearer ";
    /** JSON bodies. */
    public static final String JSON_TYPE = "application/json";

    /** Prefix of every path. */
    public static final String API_PREFIX = "/v1";
    public static final String HEALTH_PATH = "/v1/health";
    public static final String FACTS_PATH = "/v1/facts";
    public static final String PULL_PATH = "/v1/images/pull";
    public static final String CONTAINERS_PATH = "/v1/containers";

    public static final String FUNCTION_PATH = "/v1/function";
    /** {@code POST}: a guest restored from a snapshot takes its own address, MAC, clock and entropy. */
    public static final String IDENTITY_PATH = "/v1/identity";
    /**
     * {@code POST}, before a snapshot: the agent loads the code that a clone's identity change runs, so that clones
     * do not each pay for loading it (seconds under TCG). Answers 204 when done.
     */
    public static final String IDENTITY_PREPARE_PATH = "/v1/identity/prepare";
    public static final String FUNCTION_CODE_PATH = "/v1/function/code";
    public static final String FUNCTION_INVOKE_PATH = "/v1/function/invoke";
    /** Where a slot's runtime finds the Lambda Runtime API inside the guest. */
    public static final String RUNTIME_API = "127.0.0.1:9001";
    /** Invoke: the caller's client context (base64 JSON, as Lambda's X-Amz-Client-Context), passed to the runtime. */
    public static final String CLIENT_CONTEXT_HEADER = "X-Kiln-Client-Context";
    public static final String REQUEST_ID_HEADER = "X-Kiln-Request-Id";
    public static final String FUNCTION_ERROR_HEADER = "X-Kiln-Function-Error";
    public static final String INIT_MS_HEADER = "X-Kiln-Init-Ms";
    public static final String DURATION_MS_HEADER = "X-Kiln-Duration-Ms";

    /** Query parameter of stop: how long to wait after SIGTERM before SIGKILL. */
    public static final String PARAM_TIMEOUT = "timeout";
    /** Query parameter of delete: also stop a running container. */
    public static final String PARAM_FORCE = "force";
    /** Query parameter of logs: keep streaming until the container has exited. */
    public static final String PARAM_FOLLOW = "follow";
    /** Query parameter of logs: {@code stdout}, {@code stderr} or {@code both}. */
    public static final String PARAM_STREAM = "stream";
    /** Query parameter of files: the absolute path inside the container's root. */
    public static final String PARAM_PATH = "path";
    /** Query parameter of a file upload: octal permission bits, default 0644. */
    public static final String PARAM_MODE = "mode";

    private AgentProtocol() {
    }

    /** {@code /v1/pods/{pod}/network}: PUT makes the pod's network ({@link PodNetworkRequest}), DELETE removes it. */
    public static String podNetworkPath(String pod) {
        return API_PREFIX + "/pods/" + pod + "/network";
    }

    /** {@code /v1/containers/{id}}. */
    public static String containerPath(String id) {
        return CONTAINERS_PATH + "/" + id;
    }

    /** {@code /v1/containers/{id}/{action}}, e.g. {@code stop}, {@code exec}, {@code logs}. */
    public static String containerPath(String id, String action) {
        return containerPath(id) + "/" + action;
    }

    /** The value of the {@link #AUTHORIZATION_HEADER} for a token. */
    public static String bearer(String token) {
        return BEARER_PREFIX + token;
    }
}
