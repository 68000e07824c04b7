package dev.kiln.cluster.sched;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The bins of one scheduling pass, in name order, with their free capacity as it is used up.
 *
 * <p>Working state of a single {@link Scheduler#place} call, never shared: bins are addressed by index (their
 * position in name order, so a lower index is the name tie-break) and free amounts live in arrays, which keeps
 * the inner scoring loop free of lookups.
 */
final class BinTable {
    private final List<Bin> bins;
    private final Map<String, Integer> indexByName;
    private final int[] domainOf;
    private final int domainCount;
    private final long[] freeCpu;
    private final long[] freeMemory;
    private final long[] capacityMemory;
    private final Capacity largest;

    private BinTable(List<Bin> sorted) {
        bins = sorted;
        int n = sorted.size();
        indexByName = HashMap.newHashMap(n);
        domainOf = new int[n];
        freeCpu = new long[n];
        freeMemory = new long[n];
        capacityMemory = new long[n];
        Map<String, Integer> domains = new HashMap<>();
        int nextDomain = 0;
        long maxCpu = 0;
        long maxMemory = 0;
        for (int b = 0; b < n; b++) {
            Bin bin = sorted.get(b);
            indexByName.put(bin.name(), b);
            if (bin.domain().isEmpty()) { // a domain of its own
                domainOf[b] = nextDomain++;
            } else {
                String domain = bin.domain().get();
                if (!domains.containsKey(domain)) {
                    domains.put(domain, nextDomain++);
                }
                domainOf[b] = domains.get(domain);
            }
            Capacity free = bin.capacity().minus(bin.allocated());
            freeCpu[b] = free.cpuMillis();
            freeMemory[b] = free.memoryBytes();
            capacityMemory[b] = bin.capacity().memoryBytes();
            maxCpu = Math.max(maxCpu, bin.capacity().cpuMillis());
            maxMemory = Math.max(maxMemory, bin.capacity().memoryBytes());
        }
        domainCount = nextDomain;
        largest = new Capacity(maxCpu, maxMemory);
    }

    /** A table of {@code bins}, sorted by name whatever their order in the list. */
    static BinTable of(List<Bin> bins) {
        return new BinTable(bins.stream().sorted(Comparator.comparing(Bin::name)).toList());
    }

    int size() {
        return bins.size();
    }

    Bin bin(int b) {
        return bins.get(b);
    }

    OptionalInt indexOf(String name) {
        Integer b = indexByName.get(name);
        return b == null ? OptionalInt.empty() : OptionalInt.of(b);
    }

    /** How many domains there are; {@link #domainOf} is below this. */
    int domainCount() {
        return domainCount;
    }

    /** The index of bin {@code b}'s domain; a bin without a domain has one of its own. */
    int domainOf(int b) {
        return domainOf[b];
    }

    /** Whether this much CPU and memory fit in what bin {@code b} has left. */
    boolean fits(int b, long cpuMillis, long memoryBytes) {
        return cpuMillis <= freeCpu[b] && memoryBytes <= freeMemory[b];
    }

    /** Uses {@code requests} of bin {@code b}; may leave it negative (bound items beyond its capacity). */
    void take(int b, Capacity requests) {
        freeCpu[b] = Math.subtractExact(freeCpu[b], requests.cpuMillis());
        freeMemory[b] = Math.subtractExact(freeMemory[b], requests.memoryBytes());
    }

    long freeCpu(int b) {
        return freeCpu[b];
    }

    long freeMemory(int b) {
        return freeMemory[b];
    }

    /** The share of bin {@code b}'s memory still free once {@code memoryBytes} more is taken; 0 for no memory. */
    double freeMemoryFractionAfter(int b, long memoryBytes) {
        long capacity = capacityMemory[b];
        return capacity == 0 ? 0.0 : (double) (freeMemory[b] - memoryBytes) / capacity;
    }

    /** The largest CPU and the largest memory capacity of any bin (possibly of two different bins). */
    Capacity largest() {
        return largest;
    }
}
