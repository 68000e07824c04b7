package dev.kiln.cluster.model;

/**
 * How fast a Deployment replaces its Pods: at most {@code maxUnavailable} below the replica count (rounded down)
 * and at most {@code maxSurge} above it (rounded up). Either absent is 25%.
 */
public record RollingUpdate(IntOrPercent maxUnavailable, IntOrPercent maxSurge) {
    public static final RollingUpdate DEFAULT = new RollingUpdate(IntOrPercent.percent(25), IntOrPercent.percent(25));

    public RollingUpdate {
        maxUnavailable = Defaults.or(maxUnavailable, IntOrPercent.percent(25));
        maxSurge = Defaults.or(maxSurge, IntOrPercent.percent(25));
    }

    /** How many Pods may be unavailable during an update of {@code replicas}. */
    public int maxUnavailable(int replicas) {
        return maxUnavailable.resolve(replicas, false);
    }

    /** How many Pods may exist above {@code replicas} during an update. */
    public int maxSurge(int replicas) {
        return maxSurge.resolve(replicas, true);
    }
}
