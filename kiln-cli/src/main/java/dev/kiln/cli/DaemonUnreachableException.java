package dev.kiln.cli;

import java.nio.file.Path;

/** The daemon cannot be reached on its socket: the socket is missing, or nothing accepts connections on it. */
public final class DaemonUnreachableException extends CliException {
    private static final long serialVersionUID = 1L;

    public static final String CODE = "DAEMON_UNREACHABLE";
    private static final String HINT = "start it with 'kiln daemon' or run 'kiln demo', which starts one";

    private DaemonUnreachableException(String message, Throwable cause) {
        super(CODE, message, HINT, ExitCodes.DAEMON_UNREACHABLE, cause);
    }

    static DaemonUnreachableException noSocket(Path socket) {
        return new DaemonUnreachableException("the kiln daemon is not running (no socket at " + socket + ")", null);
    }

    static DaemonUnreachableException refused(Path socket, Throwable cause) {
        return new DaemonUnreachableException(
                "the kiln daemon is not running (nothing accepts connections on " + socket + ")", cause);
    }
}
