package dev.kiln.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code net.ipv4.ip_forward} through {@code /proc/sys}: check, set, verify. */
final class IpForwarding {
    private final Path file;

    IpForwarding(Path procSys) {
        this.file = procSys.resolve("net/ipv4/ip_forward");
    }

    boolean isEnabled() {
        try {
            return Files.readString(file).strip().equals("1");
        } catch (IOException e) {
            throw failure("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    void ensureEnabled() {
        if (isEnabled()) {
            return;
        }
        try {
            Files.writeString(file, "1\n");
        } catch (IOException e) {
            throw failure("cannot write " + file + ": " + e.getMessage(), e);
        }
        if (!isEnabled()) {
            throw failure(file + " is still 0 after writing 1", null);
        }
    }

    private static NetException failure(String message, Throwable cause) {
        return new NetException(NetError.COMMAND_FAILED, message,
                "run as root, or enable forwarding yourself: sysctl -w net.ipv4.ip_forward=1", cause);
    }
}
