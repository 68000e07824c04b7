package dev.kiln.vmm;

/** Error codes of the VMM layer. Each maps to one HTTP status and CLI exit code in the host's error mapper. */
public enum VmmError {
    INVALID_SPEC,
    FILE_NOT_FOUND,
    VMM_NOT_INSTALLED,
    VMM_START_FAILED,
    VMM_DIED,
    INVALID_PHASE,
    UNKNOWN_VM,
    QMP_ERROR,
    RECOVERY_FAILED,
    TIMEOUT,
    UNSUPPORTED
}
