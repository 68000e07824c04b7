package dev.kiln.cluster.model;

/** The component that reported an {@link Event} ({@code scheduler}, {@code nodepool-controller}, a host's runtime). */
public record EventSource(String component) {
    static final EventSource NONE = new EventSource("");

    public EventSource {
        component = Defaults.string(component);
    }
}
