package dev.kiln.cluster.sched;

/**
 * An amount of CPU (millicores) and memory (bytes): what a bin offers, what is allocated on it, what an item
 * requests.
 *
 * <p>A plain value: {@link #minus} may give a negative amount (a bin whose bound items already exceed it); the
 * records that hold capacities ({@link Bin}, {@link Item}) insist on non-negative ones. Arithmetic is exact and
 * throws {@link ArithmeticException} on overflow rather than wrapping.
 *
 * @param cpuMillis   CPU in millicores ({@code 1000} is one core)
 * @param memoryBytes memory in bytes
 */
public record Capacity(long cpuMillis, long memoryBytes) {
    /** Nothing: no CPU, no memory. */
    public static final Capacity ZERO = new Capacity(0, 0);

    /** The same as the constructor; reads better in call chains. */
    public static Capacity of(long cpuMillis, long memoryBytes) {
        return new Capacity(cpuMillis, memoryBytes);
    }

    /** This amount and {@code other} together. */
    public Capacity plus(Capacity other) {
        return new Capacity(Math.addExact(cpuMillis, other.cpuMillis), Math.addExact(memoryBytes, other.memoryBytes));
    }

    /** This amount less {@code other}; may be negative. */
    public Capacity minus(Capacity other) {
        return new Capacity(Math.subtractExact(cpuMillis, other.cpuMillis),
                Math.subtractExact(memoryBytes, other.memoryBytes));
    }

    /** Whether this amount fits within {@code room}: no more CPU and no more memory than it. */
    public boolean fits(Capacity room) {
        return cpuMillis <= room.cpuMillis && memoryBytes <= room.memoryBytes;
    }

    /** Whether neither CPU nor memory is negative. */
    public boolean isNonNegative() {
        return cpuMillis >= 0 && memoryBytes >= 0;
    }

    /** {@code cpu 500m, memory 512Mi}. */
    @Override
    public String toString() {
        return Quantities.both(this);
    }
}
