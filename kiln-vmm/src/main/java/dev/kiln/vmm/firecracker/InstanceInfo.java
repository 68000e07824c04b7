package dev.kiln.vmm.firecracker;

import java.util.Objects;

/** {@code GET /} of the Firecracker API: what the process says about itself. */
public record InstanceInfo(String appName, String id, FcState state, String vmmVersion) {
    public InstanceInfo {
        Objects.requireNonNull(appName, "appName");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(vmmVersion, "vmmVersion");
    }
}
