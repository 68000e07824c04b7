package dev.kiln.host.fn;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * How many pre-booted slot VMs to keep for one profile, from recent demand: as many as that profile had cold starts
 * within the window (the keep-alive), at most the cap, and none once the window holds no cold start (the pool
 * scales to zero with its demand). Pure.
 */
public final class PoolSizing {
    private PoolSizing() {
    }

    public static int target(Collection<Instant> coldStarts, Instant now, Duration window, int cap) {
        if (cap <= 0) {
            return 0;
        }
        Instant since = now.minus(window);
        long recent = coldStarts.stream().filter(t -> t.isAfter(since) && !t.isAfter(now)).count();
        return (int) Math.min(cap, recent);
    }

    /**
     * As {@link #target}, over a floor: {@code floor} plus one for each demand within the window, at most {@code cap}
     * (a cap below the floor is the floor). The cluster's warm pool of node VMs keeps its floor when idle, and grows
     * by the Nodes that asked it for a VM lately (a pool scaled up, nodes replaced) so that the next burst of that
     * size finds VMs ready.
     */
    public static int floorPlusRecent(Collection<Instant> demand, Instant now, Duration window, int floor, int cap) {
        if (floor < 0) {
            throw new IllegalArgumentException("a pool's floor cannot be negative: " + floor);
        }
        int ceiling = Math.max(floor, cap);
        return floor + target(demand, now, window, ceiling - floor);
    }
}
