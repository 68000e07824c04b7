package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The lifecycle of a Node (one microVM): from pending placement, through boot and readiness, to its end. */
public enum NodePhase {
    @JsonProperty("Pending") PENDING,
    @JsonProperty("Booting") BOOTING,
    @JsonProperty("Ready") READY,
    @JsonProperty("Suspect") SUSPECT,
    @JsonProperty("Lost") LOST,
    @JsonProperty("Terminating") TERMINATING
}
