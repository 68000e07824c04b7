package dev.kiln.vmm;

import java.util.Locale;
import java.util.Map;

/**
 * Whether VMM processes run jailed, and the user ids they get. On by default; {@code KILN_VMM_JAIL=off} in the
 * environment of the daemon (or {@code -Dkiln.vmm.jail=off}) turns it off for debugging, and kiln says so loudly.
 *
 * @param enabled  jail every VMM process
 * @param uidBase  the first of kiln's VMM user (and group) ids; each running VMM gets one of its own
 * @param uidCount how many ids kiln may use from {@code uidBase}
 */
public record JailPolicy(boolean enabled, long uidBase, int uidCount) {
    /** kiln's VMM ids: far above any login or system account and below 2^31 (some tools misread larger ids). */
    public static final long DEFAULT_UID_BASE = 1_800_000_000L;
    public static final int DEFAULT_UID_COUNT = 65_536;
    public static final String ENV = "KILN_VMM_JAIL";

    public JailPolicy {
        if (uidBase < 1000 || uidCount < 1 || uidBase + uidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad VMM uid range " + uidBase + "+" + uidCount);
        }
    }

    public static JailPolicy on() {
        return new JailPolicy(true, DEFAULT_UID_BASE, DEFAULT_UID_COUNT);
    }

    public static JailPolicy off() {
        return new JailPolicy(false, DEFAULT_UID_BASE, DEFAULT_UID_COUNT);
    }

    /** On unless the environment or the system property {@code kiln.vmm.jail} says {@code off}. */
    public static JailPolicy fromEnvironment() {
        return fromEnvironment(System.getenv(), System.getProperty("kiln.vmm.jail"));
    }

    static JailPolicy fromEnvironment(Map<String, String> env, String property) {
        String value = property != null ? property : env.getOrDefault(ENV, "on");
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "off", "0", "false", "no" -> off();
            case "on", "1", "true", "yes", "" -> on();
            default -> throw new IllegalArgumentException(ENV + "=" + value + " is not on or off");
        };
    }

    /** The warning kiln prints (at start and with every VM) when the jail is off. */
    public static String offWarning() {
        return "VMM JAIL IS OFF (" + ENV + "=off): QEMU runs as root, without its seccomp sandbox, chroot or "
                + "cgroup limits; a guest that escapes QEMU owns this host. Use this only for debugging.";
    }
}
