package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** When the node runtime restarts a Pod's exited containers. */
public enum RestartPolicy {
    @JsonProperty("Always") ALWAYS,
    @JsonProperty("OnFailure") ON_FAILURE,
    @JsonProperty("Never") NEVER
}
