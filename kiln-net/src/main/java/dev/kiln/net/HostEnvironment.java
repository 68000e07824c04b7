package dev.kiln.net;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where kiln-net meets the host: the command runner and the kernel files it reads. {@link #system()} is the real
 * host; tests wrap the runner to inject faults.
 *
 * @param runner    runs ip, tc and nft
 * @param tunDevice the tun/tap clone device, {@code /dev/net/tun}
 * @param procSys   {@code /proc/sys}
 */
record HostEnvironment(CommandRunner runner, Path tunDevice, Path procSys) {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    static HostEnvironment system() {
        return new HostEnvironment(new ProcessCommandRunner(COMMAND_TIMEOUT), Path.of("/dev/net/tun"),
                Path.of("/proc/sys"));
    }

    HostEnvironment withRunner(CommandRunner other) {
        return new HostEnvironment(other, tunDevice, procSys);
    }
}
