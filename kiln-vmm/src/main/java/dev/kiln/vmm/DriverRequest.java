package dev.kiln.vmm;

import java.util.Arrays;
import java.util.Locale;

/** Which driver the user asked for ({@code --driver auto|qemu|firecracker|fake}). */
public enum DriverRequest {
    AUTO, QEMU, FIRECRACKER, FAKE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DriverRequest parse(String text) {
        for (DriverRequest r : values()) {
            if (r.wire().equals(text == null ? "" : text.strip().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new VmmException(VmmError.INVALID_SPEC, "unknown driver '" + text + "'",
                "use one of " + Arrays.stream(values()).map(DriverRequest::wire).toList());
    }
}
