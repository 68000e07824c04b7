package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;

/** Firecracker refused an API call: the HTTP status and the {@code fault_message} of its Error body. */
public final class FirecrackerApiException extends VmmException {
    private final int status;
    private final String faultMessage;

    FirecrackerApiException(VmmError code, String call, int status, String faultMessage, String hint) {
        super(code, call + " failed with HTTP " + status + ": " + faultMessage, hint);
        this.status = status;
        this.faultMessage = faultMessage;
    }

    /** The HTTP status Firecracker answered with. */
    public int status() {
        return status;
    }

    /** Firecracker's own explanation, verbatim (empty when the body had none). */
    public String faultMessage() {
        return faultMessage;
    }
}
