package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Whether a host can take new Nodes: {@code Ready} (its lease is current), {@code Suspect} (a heartbeat is late or
 * none has come yet: no new placements), {@code Lost} (past the grace period: its Nodes are replaced).
 */
public enum HostPhase {
    @JsonProperty("Ready") READY,
    @JsonProperty("Suspect") SUSPECT,
    @JsonProperty("Lost") LOST
}
