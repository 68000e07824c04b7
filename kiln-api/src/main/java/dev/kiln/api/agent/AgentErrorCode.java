package dev.kiln.api.agent;

/** Why the guest agent refused or failed a call; the agent maps each code to one HTTP status. */
public enum AgentErrorCode {
    /** No token, a wrong token, or the agent has none (401). */
    UNAUTHORIZED,
    /** Malformed request: bad JSON, a bad parameter, an invalid spec (400). */
    BAD_REQUEST,
    /** The JSON had a field the record does not know (400). */
    UNKNOWN_FIELD,
    /** The memory limit is above the VM's memory (400). */
    MEMORY_LIMIT_TOO_HIGH,
    /** A file path escapes the container's root or is not absolute (400). */
    PATH_ESCAPES_ROOT,
    /** No such container, file or route (404). */
    NOT_FOUND,
    /** Method not allowed on this path (405). */
    METHOD_NOT_ALLOWED,
    /** The name is taken, or the container is in the wrong state for the call (409). */
    CONFLICT,
    /** The body is larger than the agent accepts (413). */
    PAYLOAD_TOO_LARGE,
    /** The registry does not have the image or a blob (404 from the registry; 502). */
    IMAGE_NOT_FOUND,
    /** The registry could not be reached or answered an error (502). */
    REGISTRY_ERROR,
    /** A blob or manifest did not match its digest or size; nothing was kept (502). */
    DIGEST_MISMATCH,
    /** The image is malformed, of another platform, or a layer is hostile (422). */
    BAD_IMAGE,
    /** The guest's disk filled up; partial files were removed (507). */
    DISK_FULL,
    /** The container could not be started (e.g. its entrypoint does not exist) (422). */
    START_FAILED,
    /** runc or the guest failed in a way the caller cannot fix (500). */
    RUNTIME_ERROR,
    /** A call took longer than allowed (504). */
    TIMEOUT,
    /** A bug in the agent (500). */
    INTERNAL
}
