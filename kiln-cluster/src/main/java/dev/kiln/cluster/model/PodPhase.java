package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The lifecycle of a Pod: waiting for a Node, bound to one, running, or finished. */
public enum PodPhase {
    @JsonProperty("Pending") PENDING,
    @JsonProperty("Scheduled") SCHEDULED,
    @JsonProperty("Running") RUNNING,
    @JsonProperty("Succeeded") SUCCEEDED,
    @JsonProperty("Failed") FAILED,
    @JsonProperty("Unknown") UNKNOWN
}
