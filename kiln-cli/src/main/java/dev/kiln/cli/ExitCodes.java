package dev.kiln.cli;

/**
 * The one place that turns error codes into process exit codes (the table in docs/API.md). Daemon codes this
 * CLI does not know yet fall back to their HTTP status.
 */
public final class ExitCodes {
    public static final int OK = 0;
    /** An internal error, or an error code the CLI cannot classify. */
    public static final int FAILURE = 1;
    /** A usage error: bad flags or arguments, or a spec the daemon rejects. */
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    /** The request conflicts with the current state: a taken name, a VM in the wrong phase. */
    public static final int CONFLICT = 4;
    public static final int FILE_NOT_FOUND = 5;
    /** The VM did not boot, or its VMM failed or died. */
    public static final int VM_FAILED = 6;
    /** The host lacks something: a VMM, /dev/net/tun, a tool. */
    public static final int HOST = 7;
    public static final int TIMEOUT = 8;
    public static final int DAEMON_UNREACHABLE = 10;
    /** The API refused the request's token (or there is none to send). */
    public static final int UNAUTHENTICATED = 11;

    private ExitCodes() {
    }

    /** The exit code for an error code, or, when the code is unknown, for the HTTP status that carried it. */
    public static int forError(String code, int httpStatus) {
        return switch (code) {
            case "BAD_REQUEST", "INVALID_SPEC", "UNKNOWN_FIELD", "PAYLOAD_TOO_LARGE" -> USAGE;
            case "VM_NOT_FOUND" -> NOT_FOUND;
            case "NAME_TAKEN", "INVALID_PHASE", "VM_RUNNING" -> CONFLICT;
            case "FILE_NOT_FOUND" -> FILE_NOT_FOUND;
            case "BOOT_FAILED", "VMM_START_FAILED", "VMM_DIED" -> VM_FAILED;
            case "VMM_NOT_INSTALLED", "NO_TUN_DEVICE", "TOOL_MISSING", "HOST_ERROR" -> HOST;
            case "TIMEOUT" -> TIMEOUT;
            case "INTERNAL" -> FAILURE;
            case DaemonUnreachableException.CODE -> DAEMON_UNREACHABLE;
            default -> forStatus(httpStatus);
        };
    }

    private static int forStatus(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> USAGE;
            case 404 -> NOT_FOUND;
            case 409 -> CONFLICT;
            case 503 -> HOST;
            case 504 -> TIMEOUT;
            default -> FAILURE;
        };
    }
}
