package dev.kiln.agent;

import dev.kiln.api.agent.AgentError;
import dev.kiln.api.agent.AgentErrorCode;

import java.util.Objects;

/** The one exception type of kiln-agent: a wire error code, a message and a hint telling the caller what to do. */
public final class AgentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final AgentErrorCode code;
    private final String hint;

    public AgentException(AgentErrorCode code, String message) {
        this(code, message, defaultHint(code), null);
    }

    public AgentException(AgentErrorCode code, String message, String hint) {
        this(code, message, hint, null);
    }

    public AgentException(AgentErrorCode code, String message, Throwable cause) {
        this(code, message, defaultHint(code), cause);
    }

    public AgentException(AgentErrorCode code, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.hint = Objects.requireNonNull(hint, "hint");
    }

    public AgentErrorCode code() {
        return code;
    }

    public String hint() {
        return hint;
    }

    /** The wire form of this error. */
    public AgentError toError() {
        return new AgentError(code, getMessage(), hint);
    }

    /** The HTTP status of an error code: the one place that maps the two. */
    public static int httpStatus(AgentErrorCode code) {
        return switch (code) {
            case UNAUTHORIZED -> 401;
            case BAD_REQUEST, UNKNOWN_FIELD, MEMORY_LIMIT_TOO_HIGH, PATH_ESCAPES_ROOT -> 400;
            case NOT_FOUND, IMAGE_NOT_FOUND -> 404;
            case METHOD_NOT_ALLOWED -> 405;
            case CONFLICT -> 409;
            case PAYLOAD_TOO_LARGE -> 413;
            case BAD_IMAGE, START_FAILED -> 422;
            case REGISTRY_ERROR, DIGEST_MISMATCH -> 502;
            case TIMEOUT -> 504;
            case DISK_FULL -> 507;
            case RUNTIME_ERROR, INTERNAL -> 500;
        };
    }

    /** What the caller can do about an error in general. */
    public static String defaultHint(AgentErrorCode code) {
        return switch (code) {
            case UNAUTHORIZED -> "send 'Authorization: Bearer <token>' with the VM's token (kiln.token on the kernel command line)";
            case BAD_REQUEST -> "fix the request as the message says";
            case UNKNOWN_FIELD -> "remove the field or check its spelling against the API records";
            case MEMORY_LIMIT_TOO_HIGH -> "lower the container's memory limit or give the VM more memory";
            case PATH_ESCAPES_ROOT -> "use an absolute path inside the container without '..' that leaves its root";
            case NOT_FOUND -> "list containers with GET /v1/containers";
            case METHOD_NOT_ALLOWED -> "see the API table in AgentProtocol";
            case CONFLICT -> "check the container's state; stop it first or use force=true";
            case PAYLOAD_TOO_LARGE -> "send a smaller body";
            case IMAGE_NOT_FOUND -> "check the image name and tag in the host's registry";
            case REGISTRY_ERROR -> "check that the host's registry is up and reachable from the guest";
            case DIGEST_MISMATCH -> "the registry served corrupt or tampered content; nothing was kept; re-push the image";
            case BAD_IMAGE -> "rebuild the image as a linux/amd64 OCI or Docker v2 image with plain or gzip layers";
            case DISK_FULL -> "give the VM a larger scratch disk or remove unused containers; partial files were removed";
            case START_FAILED -> "check the command and the image (see the error and the container's stderr)";
            case RUNTIME_ERROR -> "check the agent's log in the guest";
            case TIMEOUT -> "retry with a longer timeout";
            case INTERNAL -> "this is a bug in kiln-agent; report it with the agent's log";
        };
    }

    @Override
    public String toString() {
        return "AgentException[" + code + "]: " + getMessage() + " (hint: " + hint + ")";
    }
}
