package dev.kiln.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Facts about the host CPU that guests need. */
public final class HostCpu {
    private HostCpu() {}

    /**
     * The host's TSC rate in kHz, from the first "cpu MHz" line of /proc/cpuinfo. Under TCG a guest's TSC runs at
     * the host's rate; telling the guest kernel ({@code tsc_early_khz}) spares it a calibration against the PIT that
     * fails when the host is busy, after which the Debian kernel hangs at boot.
     */
    public static Optional<Long> tscKhz(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .filter(l -> l.startsWith("cpu MHz"))
                    .findFirst()
                    .map(l -> Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
