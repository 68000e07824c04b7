package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.Optional;

/**
 * The shape of a Node's microVM: vCPUs, memory and an optional scratch disk. In manifests
 * {@code {cpus: 1, memory: 512Mi, scratch: 1Gi}}, with memory and scratch as {@link Quantity} strings.
 */
public record NodeProfile(
        int cpus,
        @JsonProperty("memory")
        @JsonSerialize(using = QuantityJson.MemorySerializer.class)
        @JsonDeserialize(using = QuantityJson.MemoryDeserializer.class)
        long memoryBytes,
        @JsonProperty("scratch")
        @JsonSerialize(contentUsing = QuantityJson.MemorySerializer.class)
        @JsonDeserialize(contentUsing = QuantityJson.MemoryDeserializer.class)
        Optional<Long> scratchBytes) {
    static final NodeProfile EMPTY = new NodeProfile(0, 0, Optional.empty());

    public NodeProfile {
        scratchBytes = Defaults.optional(scratchBytes);
    }

    /** A profile without a scratch disk. */
    public static NodeProfile of(int cpus, long memoryBytes) {
        return new NodeProfile(cpus, memoryBytes, Optional.empty());
    }

    /** What a Node with this profile takes from its Host. */
    public Resources resources() {
        return new Resources(cpus * 1000L, memoryBytes);
    }
}
