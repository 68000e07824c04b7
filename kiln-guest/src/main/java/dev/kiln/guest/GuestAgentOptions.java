package dev.kiln.guest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the guest agent needs from the host to be put into the image: a JDK to jlink its runtime from, and the
 * runc binary that runs its containers. The agent's own jar is bundled in kiln-guest (a resource built from the
 * kiln-agent module), so it is not an option.
 *
 * @param jdkHome a JDK 25 with {@code bin/jlink}; the runtime in the guest is linked from it
 * @param runc    the runc binary to copy into the guest ({@code /usr/sbin/runc}); its shared libraries come along
 */
public record GuestAgentOptions(Path jdkHome, Path runc) {
    /** Where Debian's runc package installs runc. */
    public static final Path DEFAULT_RUNC = Path.of("/usr/sbin/runc");

    public GuestAgentOptions {
        Objects.requireNonNull(jdkHome, "jdkHome");
        Objects.requireNonNull(runc, "runc");
    }

    /** The JDK that runs kiln, and Debian's runc. */
    public static GuestAgentOptions defaults() {
        return new GuestAgentOptions(Path.of(System.getProperty("java.home")), DEFAULT_RUNC);
    }
}
