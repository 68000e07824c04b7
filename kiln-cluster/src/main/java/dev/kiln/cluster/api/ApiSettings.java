package dev.kiln.cluster.api;

import java.time.Duration;

/**
 * The API server's knobs.
 *
 * @param heartbeat   how long a watch stream may be quiet before it writes an empty line (which also notices a
 *                    client that went away)
 * @param idleTimeout how long a connection may be idle; a followed pod log with no output ends after this
 * @param maxBody     the largest request body, in bytes (larger is 413)
 */
record ApiSettings(Duration heartbeat, Duration idleTimeout, long maxBody) {
    static final ApiSettings DEFAULTS = new ApiSettings(Duration.ofSeconds(5), Duration.ofMinutes(5), 1L << 20);

    ApiSettings withHeartbeat(Duration heartbeat) {
        return new ApiSettings(heartbeat, idleTimeout, maxBody);
    }
}
