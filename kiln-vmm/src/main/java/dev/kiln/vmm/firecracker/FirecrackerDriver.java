package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmDriver;
import java.time.Clock;

/** Factory for the Firecracker driver. */
public final class FirecrackerDriver {
    public static final String NAME = "firecracker";

    private FirecrackerDriver() {}

    /** Runs Firecracker (through its jailer when {@link FirecrackerConfig#jailer()} is set). */
    public static VmmDriver create(FirecrackerConfig config) {
        return new FirecrackerVmmDriver(config, new FcProcessLauncher(config), Clock.systemUTC());
    }
}
