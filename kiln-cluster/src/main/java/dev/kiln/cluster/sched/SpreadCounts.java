package dev.kiln.cluster.sched;

import java.util.HashMap;
import java.util.Map;

/**
 * How many items of each spread group sit in each slot (a bin, or a domain), kept sparse.
 *
 * <p>For scoring one item, {@link #load} writes its group's counts into a dense scratch array that is all zeros
 * otherwise, and {@link #unload} zeroes it again; both cost the number of slots the group occupies, so memory
 * stays proportional to items and slots rather than groups times slots. Working state of one scheduling pass.
 */
final class SpreadCounts {
    private final Map<String, Map<Integer, Integer>> byGroup = new HashMap<>();
    private final int[] scratch;

    SpreadCounts(int slots) {
        scratch = new int[slots];
    }

    /** One more item of {@code group} in {@code slot}. */
    void add(String group, int slot) {
        byGroup.computeIfAbsent(group, g -> new HashMap<>()).merge(slot, 1, Integer::sum);
    }

    /** The counts of {@code group} per slot; valid until {@link #unload}, and not to be changed by the caller. */
    int[] load(String group) {
        Map<Integer, Integer> counts = byGroup.get(group);
        if (counts != null) {
            counts.forEach((slot, count) -> scratch[slot] = count);
        }
        return scratch;
    }

    /** Zeroes the scratch array that {@link #load} filled for {@code group}. */
    void unload(String group) {
        Map<Integer, Integer> counts = byGroup.get(group);
        if (counts != null) {
            counts.keySet().forEach(slot -> scratch[slot] = 0);
        }
    }
}
