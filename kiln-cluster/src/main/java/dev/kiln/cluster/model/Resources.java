package dev.kiln.cluster.model;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/**
 * An amount of CPU (millicores) and memory (bytes): a request, a capacity, an allocation. In manifests it is
 * {@code {cpu: "500m", memory: "256Mi"}}; see {@link Quantity}.
 */
@JsonSerialize(using = QuantityJson.ResourcesSerializer.class)
@JsonDeserialize(using = QuantityJson.ResourcesDeserializer.class)
public record Resources(long cpuMillis, long memoryBytes) {
    public static final Resources ZERO = new Resources(0, 0);

    /** Parses both quantities ({@code of("500m", "256Mi")}). */
    public static Resources of(String cpu, String memory) {
        return new Resources(Quantity.cpu(cpu), Quantity.memory(memory));
    }

    public Resources plus(Resources other) {
        return new Resources(Math.addExact(cpuMillis, other.cpuMillis), Math.addExact(memoryBytes, other.memoryBytes));
    }

    public Resources minus(Resources other) {
        return new Resources(Math.subtractExact(cpuMillis, other.cpuMillis),
                Math.subtractExact(memoryBytes, other.memoryBytes));
    }

    /** Whether this amount fits within {@code capacity}: neither CPU nor memory exceeds it. */
    public boolean fits(Resources capacity) {
        return cpuMillis <= capacity.cpuMillis && memoryBytes <= capacity.memoryBytes;
    }

    /** Whether either amount is below zero. */
    public boolean anyNegative() {
        return cpuMillis < 0 || memoryBytes < 0;
    }

    @Override
    public String toString() {
        return "cpu=" + Quantity.formatCpu(cpuMillis) + ", memory=" + Quantity.formatMemory(memoryBytes);
    }
}
