package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import dev.kiln.vmm.firecracker.FcRequest.LogLevel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the Firecracker driver runs.
 *
 * @param firecracker  the {@code firecracker} binary (absolute)
 * @param jailer       run every VM through the jailer with these settings; empty runs Firecracker directly
 * @param apiTimeout   how long one API call may take
 * @param startTimeout how long the API socket may take to answer after the process started
 * @param logLevel     Firecracker's log level ({@code PUT /logger})
 * @param hugePages    guest memory backing ({@code PUT /machine-config})
 * @param smt          simultaneous multithreading in the guest; kiln's vCPU rule (1 or even) holds either way
 * @param baseBootArgs the kernel command line before the spec's own arguments
 * @param sysClassNet  where network devices are listed ({@code /sys/class/net}); a tap must appear there
 */
public record FirecrackerConfig(Path firecracker, Optional<JailerConfig> jailer, Duration apiTimeout,
        Duration startTimeout, LogLevel logLevel, HugePages hugePages, boolean smt, String baseBootArgs,
        Path sysClassNet) {

    /** Serial console on ttyS0 (it is Firecracker's stdout); a guest reboot ends Firecracker ({@code reboot=k}). */
    public static final String DEFAULT_BOOT_ARGS = "console=ttyS0 reboot=k panic=1 pci=off";

    public FirecrackerConfig {
        Objects.requireNonNull(firecracker, "firecracker");
        Objects.requireNonNull(jailer, "jailer");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(hugePages, "hugePages");
        Objects.requireNonNull(baseBootArgs, "baseBootArgs");
        Objects.requireNonNull(sysClassNet, "sysClassNet");
        if (!firecracker.isAbsolute()) {
            throw FcChecks.invalid("firecracker binary '" + firecracker + "' is not an absolute path",
                    "give its absolute path, e.g. /usr/local/bin/firecracker");
        }
        positive(apiTimeout, "API timeout");
        positive(startTimeout, "start timeout");
        if (jailer.isPresent() && !firecracker.getFileName().toString().contains("firecracker")) {
            // the jailer refuses an exec file whose name does not contain "firecracker"
            throw FcChecks.invalid("the jailer runs only a binary whose file name contains 'firecracker', not "
                    + firecracker.getFileName(), "install the binary as .../firecracker");
        }
    }

    /** Firecracker run directly, with kiln's defaults: 5 s per API call, 10 s to start, log level Info. */
    public static FirecrackerConfig of(Path firecracker) {
        return new FirecrackerConfig(firecracker, Optional.empty(), Duration.ofSeconds(5), Duration.ofSeconds(10),
                LogLevel.INFO, HugePages.NONE, false, DEFAULT_BOOT_ARGS, Path.of("/sys/class/net"));
    }

    public FirecrackerConfig withJailer(JailerConfig jailerConfig) {
        return new FirecrackerConfig(firecracker, Optional.of(jailerConfig), apiTimeout, startTimeout, logLevel,
                hugePages, smt, baseBootArgs, sysClassNet);
    }

    public FirecrackerConfig withTimeouts(Duration api, Duration start) {
        return new FirecrackerConfig(firecracker, jailer, api, start, logLevel, hugePages, smt, baseBootArgs,
                sysClassNet);
    }

    public FirecrackerConfig withSysClassNet(Path dir) {
        return new FirecrackerConfig(firecracker, jailer, apiTimeout, startTimeout, logLevel, hugePages, smt,
                baseBootArgs, dir);
    }

    private static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw FcChecks.invalid(what + " " + d + " is not positive", "use e.g. 5s");
        }
    }
}
