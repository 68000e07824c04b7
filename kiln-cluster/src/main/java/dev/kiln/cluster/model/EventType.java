package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How much an {@link Event} matters. */
public enum EventType {
    @JsonProperty("Normal") NORMAL,
    @JsonProperty("Warning") WARNING
}
