package dev.kiln.cluster.control;

import java.time.Duration;

/**
 * The control plane's timings and limits.
 *
 * @param nodeSuspectAfter a Ready node whose last heartbeat is older is Suspect: no new pods go to it
 * @param nodeLostAfter    a node whose last heartbeat is older is Lost: its pods run elsewhere, its pool replaces it
 * @param bootTimeout      a node still Pending or Booting this long after it was created is Lost
 * @param hostSuspectAfter a host whose last heartbeat is older is Suspect: no new nodes go to it
 * @param hostLostAfter    a host whose last heartbeat is older is Lost, and so are its nodes
 * @param actionBudget     at most this many actions per pass; the rest wait for the next one
 * @param resync           a pass runs at least this often, changes or not
 */
public record ControlConfig(Duration nodeSuspectAfter, Duration nodeLostAfter, Duration bootTimeout,
                            Duration hostSuspectAfter, Duration hostLostAfter, int actionBudget, Duration resync) {

    /**
     * Defaults for microVM nodes: heartbeats come every second, so 5 s without one is Suspect and 30 s is Lost
     * (Kubernetes waits 40 s and evicts after 5 minutes). A VMM that exits makes its node Lost at once, without
     * this grace; the grace is for a guest that still runs but does not answer, and it must outlast a guest agent
     * that restarts (init starts it again; under TCG that took about 14 s) and a guest starved of CPU for a while,
     * or their pods would move for nothing. A boot under emulation takes tens of seconds, hence the generous boot
     * timeout.
     */
    public static ControlConfig defaults() {
        return new ControlConfig(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofSeconds(10), Duration.ofSeconds(30), 500, Duration.ofSeconds(1));
    }

    public ControlConfig withNodeTimeouts(Duration suspect, Duration lost) {
        return new ControlConfig(suspect, lost, bootTimeout, hostSuspectAfter, hostLostAfter, actionBudget, resync);
    }

    public ControlConfig withBootTimeout(Duration timeout) {
        return new ControlConfig(nodeSuspectAfter, nodeLostAfter, timeout, hostSuspectAfter, hostLostAfter,
                actionBudget, resync);
    }

    public ControlConfig withResync(Duration every) {
        return new ControlConfig(nodeSuspectAfter, nodeLostAfter, bootTimeout, hostSuspectAfter, hostLostAfter,
                actionBudget, every);
    }

    public ControlConfig withActionBudget(int budget) {
        return new ControlConfig(nodeSuspectAfter, nodeLostAfter, bootTimeout, hostSuspectAfter, hostLostAfter,
                budget, resync);
    }
}
