package dev.kiln.guest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the guest agent needs from the host to be put into the image: a JDK to jlink its runtime from, the
 * runc binary that runs its containers, and iproute2's {@code ip}, which gives each cluster pod its own network. The agent's own jar is bundled in kiln-guest (a resource built from the
 * kiln-agent module), so it is not an option.
 *
 * @param jdkHome a JDK 25 with {@code bin/jlink}; the runtime in the guest is linked from it
 * @param runc    the runc binary to copy into the guest ({@code /usr/sbin/runc}); its shared libraries come along
 * @param ip      iproute2's {@code ip} ({@code /bin/ip}), copied to {@link GuestProtocol#IPROUTE} with its libraries:
 *                busybox's {@code ip} makes neither network namespaces nor ipvlan links
 */
public record GuestAgentOptions(Path jdkHome, Path runc, Path ip) {
    /** Where Debian's runc package installs runc. */
    public static final Path DEFAULT_RUNC = Path.of("/usr/sbin/runc");
    /** Where Debian's iproute2 package installs ip. */
    public static final Path DEFAULT_IP = Path.of("/bin/ip");

    public GuestAgentOptions {
        Objects.requireNonNull(jdkHome, "jdkHome");
        Objects.requireNonNull(runc, "runc");
        Objects.requireNonNull(ip, "ip");
    }

    /** With the host's iproute2 at its usual place. */
    public GuestAgentOptions(Path jdkHome, Path runc) {
        this(jdkHome, runc, DEFAULT_IP);
    }

    /** The JDK that runs kiln, and Debian's runc. */
    public static GuestAgentOptions defaults() {
        return new GuestAgentOptions(Path.of(System.getProperty("java.home")), DEFAULT_RUNC, DEFAULT_IP);
    }
}
