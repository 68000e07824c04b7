package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/** Input rules that Firecracker enforces (or that its API spec documents), checked before anything is sent. */
final class FcChecks {
    /**
     * Firecracker accepts device ids of 1 to 64 ASCII letters, digits and underscores (its {@code checked_id}); the
     * spec itself gives no pattern. Ids also end up in URL paths, so nothing else is allowed.
     */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_]{1,64}");
    /** A unicast-or-not MAC in the colon form Firecracker parses: six pairs of hex digits. */
    static final Pattern MAC = Pattern.compile("(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}");
    /** Linux {@code IFNAMSIZ} is 16 including the terminating NUL. */
    static final int MAX_TAP_NAME = 15;
    /** Linux {@code sun_path} is 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    private FcChecks() {}

    static String id(String what, String id) {
        Objects.requireNonNull(id, what);
        if (!ID.matcher(id).matches()) {
            throw invalid(what + " '" + id + "' is not a valid Firecracker id",
                    "use 1 to 64 ASCII letters, digits or underscores, e.g. rootfs or eth0");
        }
        return id;
    }

    static String mac(String mac) {
        Objects.requireNonNull(mac, "guestMac");
        if (!MAC.matcher(mac).matches()) {
            throw invalid("guest MAC '" + mac + "' is not a MAC address",
                    "write six hex pairs separated by colons, e.g. 06:00:ac:10:00:02");
        }
        return mac;
    }

    static String tapName(String name) {
        Objects.requireNonNull(name, "hostDevName");
        if (name.isEmpty() || name.length() > MAX_TAP_NAME || name.contains("/") || name.isBlank()) {
            throw invalid("host device name '" + name + "' is not a valid Linux interface name",
                    "use 1 to " + MAX_TAP_NAME + " characters without '/', e.g. kiln-tap0");
        }
        return name;
    }

    static Path socketPath(String what, Path path) {
        Objects.requireNonNull(path, what);
        int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_SOCKET_PATH_BYTES) {
            throw invalid(what + " " + path + " is " + bytes + " bytes long; a Unix socket path must be 1 to "
                            + MAX_SOCKET_PATH_BYTES + " bytes (Linux sun_path is 108 bytes with its NUL)",
                    "use a shorter directory for sockets, e.g. /run/kiln/<short id>/");
        }
        return path;
    }

    static Path path(String what, Path path) {
        Objects.requireNonNull(path, what);
        if (path.toString().isEmpty()) {
            throw invalid(what + " is empty", "give an absolute host path");
        }
        return path;
    }

    static VmmException invalid(String message, String hint) {
        return new VmmException(VmmError.INVALID_SPEC, message, hint);
    }
}
