package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;

/** The instance state Firecracker reports in {@code InstanceInfo.state}. */
public enum FcState {
    NOT_STARTED("Not started"),
    RUNNING("Running"),
    PAUSED("Paused");

    private final String wire;

    FcState(String wire) {
        this.wire = wire;
    }

    /** The spec's spelling. */
    public String wire() {
        return wire;
    }

    public static FcState fromWire(String wire) {
        for (FcState s : values()) {
            if (s.wire.equals(wire)) {
                return s;
            }
        }
        throw new VmmException(VmmError.VMM_START_FAILED, "Firecracker reported an unknown instance state '" + wire + "'",
                "kiln speaks the Firecracker v1.16 API; check the firecracker binary's version");
    }
}
