package dev.kiln.cluster.model;

import java.util.Optional;

/**
 * The observed state of one container: {@code state} is {@code "waiting"}, {@code "running"} or
 * {@code "terminated"} (then with an exit code).
 */
public record ContainerStatus(String name, boolean ready, int restartCount, String state, Optional<Integer> exitCode,
                              Optional<String> reason, Optional<String> containerId) {
    public static final String WAITING = "waiting";
    public static final String RUNNING = "running";
    public static final String TERMINATED = "terminated";

    public ContainerStatus {
        name = Defaults.string(name);
        state = Defaults.orIfEmpty(state, WAITING);
        exitCode = Defaults.optional(exitCode);
        reason = Defaults.optional(reason);
        containerId = Defaults.optional(containerId);
    }
}
