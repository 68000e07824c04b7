package dev.kiln.host;

import java.time.Duration;

/** Whether a guest agent answers its health check: the heartbeat of a cluster node. */
public final class AgentProbe {
    private AgentProbe() {
    }

    public static boolean healthy(String ip, Duration timeout) {
        return AgentClient.healthy(ip, timeout);
    }

    /** The agent's answer (with its start time, when it sends one), or empty when it does not answer in time. */
    public static java.util.Optional<dev.kiln.api.agent.Health> health(String ip, Duration timeout) {
        return AgentClient.health(ip, timeout);
    }
}
