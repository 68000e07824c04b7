package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;

/**
 * A host-to-guest vsock connection failed; {@link #failure()} says how. The {@link VmmError} code is the nearest of
 * the VMM layer's: TIMEOUT for no answer, VMM_DIED when Firecracker's socket is not there, INVALID_PHASE when the
 * guest has nobody listening on the port (its agent is not up yet), QMP_ERROR (the layer's "control channel protocol"
 * code) for an answer that is not the protocol's.
 */
public final class VsockException extends VmmException {
    /** How a vsock connection failed. */
    public enum Failure {
        /** Nothing listens on the Unix socket: Firecracker is gone, or the VM has no vsock device. */
        NO_SOCKET(VmmError.VMM_DIED),
        /** Firecracker closed the connection without {@code OK}: nothing in the guest listens on the port. */
        REFUSED(VmmError.INVALID_PHASE),
        /** No answer within the timeout (a paused or stuck VM). */
        TIMED_OUT(VmmError.TIMEOUT),
        /** An answer that is not {@code OK <port>}. */
        GARBAGE(VmmError.QMP_ERROR);

        private final VmmError code;

        Failure(VmmError code) {
            this.code = code;
        }
    }

    private final Failure failure;

    VsockException(Failure failure, String message, String hint, Throwable cause) {
        super(failure.code, message, hint, cause);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}
