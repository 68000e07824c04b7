package dev.kiln.host;

import dev.kiln.api.ApiException;
import dev.kiln.guest.GuestException;
import dev.kiln.image.ImageException;
import dev.kiln.net.NetException;
import dev.kiln.vmm.VmmException;

/** The host agent's exception family. {@link #from} is the one mapper from every layer's errors to host errors. */
public class HostException extends RuntimeException {
    private final HostError code;
    private final String hint;

    public HostException(HostError code, String message, String hint) {
        super(message);
        this.code = code;
        this.hint = hint;
    }

    public HostException(HostError code, String message, String hint, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.hint = hint;
    }

    public HostError code() {
        return code;
    }

    public String hint() {
        return hint;
    }

    public static HostException from(RuntimeException e) {
        return switch (e) {
            case HostException h -> h;
            case ApiException a -> new HostException(HostError.INVALID_SPEC, a.getMessage(), a.hint(), a);
            case VmmException v -> new HostException(switch (v.code()) {
                case INVALID_SPEC -> HostError.INVALID_SPEC;
                case FILE_NOT_FOUND -> HostError.FILE_NOT_FOUND;
                case VMM_NOT_INSTALLED -> HostError.VMM_NOT_INSTALLED;
                case VMM_START_FAILED -> HostError.VMM_START_FAILED;
                case VMM_DIED -> HostError.VMM_DIED;
                case INVALID_PHASE -> HostError.INVALID_PHASE;
                case UNKNOWN_VM -> HostError.VM_NOT_FOUND;
                case TIMEOUT -> HostError.TIMEOUT;
                case UNSUPPORTED -> HostError.BAD_REQUEST;
                case QMP_ERROR, RECOVERY_FAILED -> HostError.HOST_ERROR;
            }, v.getMessage(), v.hint(), v);
            case NetException n -> new HostException(switch (n.code()) {
                case NO_TUN_DEVICE -> HostError.NO_TUN_DEVICE;
                case TOOL_MISSING -> HostError.TOOL_MISSING;
                case UNSUPPORTED_LIMIT, INVALID_ARGUMENT -> HostError.INVALID_SPEC;
                default -> HostError.HOST_ERROR;
            }, n.getMessage(), n.hint(), n);
            case GuestException g -> new HostException(switch (g.code()) {
                case KERNEL_NOT_FOUND -> HostError.FILE_NOT_FOUND;
                case TOOL_MISSING, BUSYBOX_NOT_FOUND, MODULES_NOT_FOUND -> HostError.TOOL_MISSING;
                default -> HostError.HOST_ERROR;
            }, g.getMessage(), g.hint(), g);
            case ImageException i -> new HostException(switch (i.code()) {
                case IMAGE_NOT_FOUND -> HostError.IMAGE_NOT_FOUND;
                case AMBIGUOUS_REFERENCE, INVALID_REFERENCE, INVALID_BUILD_SPEC -> HostError.INVALID_SPEC;
                case UNSUPPORTED_FORMAT, CORRUPT_ARCHIVE, MISSING_BLOB, DIGEST_MISMATCH, TOO_LARGE, MALFORMED_JSON,
                     UNSAFE_ENTRY, UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_PLATFORM -> HostError.IMAGE_INVALID;
                case BUILD_FAILED, REGISTRY_FAILED, STORE_FAILED -> HostError.HOST_ERROR;
            }, i.getMessage(), i.hint(), i);
            default -> new HostException(HostError.INTERNAL, String.valueOf(e.getMessage()), "this is a bug in kiln; see the daemon log", e);
        };
    }
}
