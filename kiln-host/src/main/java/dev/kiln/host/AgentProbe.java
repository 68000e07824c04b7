package dev.kiln.host;

import java.time.Duration;

/** Whether a guest agent answers its health check: the heartbeat of a cluster node. */
public final class AgentProbe {
    private AgentProbe() {
    }

    public static boolean healthy(String ip, Duration timeout) {
        return AgentClient.healthy(ip, timeout);
    }
}
