package dev.kiln.host;

/** Error codes of the host agent, each with its HTTP status and CLI exit code (see docs/API.md). */
public enum HostError {
    BAD_REQUEST(400, 2),
    INVALID_SPEC(400, 2),
    UNKNOWN_FIELD(400, 2),
    /** A request body over the API's limit (1 MiB; 256 MiB for a file copied into a container). */
    PAYLOAD_TOO_LARGE(413, 2),
    VM_NOT_FOUND(404, 3),
    NAME_TAKEN(409, 4),
    PORT_IN_USE(409, 4),
    /** This host's --subnet overlaps another cluster host's, or lies outside --cluster-cidr: it does not join. */
    SUBNET_CONFLICT(409, 4),
    /** In a cluster, the VM's tenant has the overlay tag of another tenant that the cluster runs: refused. */
    TENANT_CONFLICT(409, 4),
    IMAGE_NOT_FOUND(404, 3),
    CONTAINER_NOT_FOUND(404, 3),
    IMAGE_INVALID(422, 5),
    CONTAINER_FAILED(422, 6),
    AGENT_ERROR(502, 7),
    DISK_FULL(507, 7),
    INVALID_PHASE(409, 4),
    VM_RUNNING(409, 4),
    FILE_NOT_FOUND(422, 5),
    BOOT_FAILED(422, 6),
    VMM_START_FAILED(422, 6),
    VMM_DIED(422, 6),
    VMM_NOT_INSTALLED(503, 7),
    NO_TUN_DEVICE(503, 7),
    TOOL_MISSING(503, 7),
    HOST_ERROR(503, 7),
    ALREADY_RUNNING(409, 4),
    TIMEOUT(504, 8),
    INTERNAL(500, 1);

    private final int httpStatus;
    private final int exitCode;

    HostError(int httpStatus, int exitCode) {
        this.httpStatus = httpStatus;
        this.exitCode = exitCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int exitCode() {
        return exitCode;
    }
}
