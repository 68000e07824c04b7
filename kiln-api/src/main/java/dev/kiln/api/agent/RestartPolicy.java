package dev.kiln.api.agent;

import dev.kiln.api.ApiException;

/**
 * What the agent does when a container's process exits: {@code NO} leaves it exited; {@code ON_FAILURE} restarts
 * it after a non-zero exit, at most {@code maxRetries} times; {@code ALWAYS} restarts it after every exit. A
 * container that the caller stopped, or that could not start at all, is never restarted.
 */
public record RestartPolicy(Kind kind, int maxRetries) {
    public enum Kind { NO, ON_FAILURE, ALWAYS }

    public RestartPolicy {
        kind = kind == null ? Kind.NO : kind;
        if (maxRetries < 0) {
            throw new ApiException("restart maxRetries must not be negative: " + maxRetries, "use 0 or more");
        }
    }

    public static RestartPolicy no() {
        return new RestartPolicy(Kind.NO, 0);
    }

    public static RestartPolicy onFailure(int maxRetries) {
        return new RestartPolicy(Kind.ON_FAILURE, maxRetries);
    }

    public static RestartPolicy always() {
        return new RestartPolicy(Kind.ALWAYS, 0);
    }

    /** Whether a run that ended with {@code exitCode}, after {@code restarts} restarts so far, is restarted. */
    public boolean restarts(int exitCode, int restartsSoFar) {
        return switch (kind) {
            case NO -> false;
            case ON_FAILURE -> exitCode != 0 && restartsSoFar < maxRetries;
            case ALWAYS -> true;
        };
    }
}
