package dev.kiln.cluster.sched;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The static filter, cached per distinct selector: which bins are schedulable and carry the selector's labels.
 *
 * <p>Items usually share a handful of selectors, so each is evaluated against the bins once per pass.
 */
final class Eligibility {
    /**
     * The outcome for one selector.
     *
     * @param bins           indices of the schedulable, matching bins, ascending (name order)
     * @param notSchedulable bins that take no new items
     * @param mismatched     schedulable bins without the selector's labels
     */
    record Eligible(int[] bins, int notSchedulable, int mismatched) {}

    private final BinTable table;
    private final Map<Map<String, String>, Eligible> bySelector = new HashMap<>();

    Eligibility(BinTable table) {
        this.table = table;
    }

    Eligible of(Map<String, String> selector) {
        return bySelector.computeIfAbsent(selector, this::evaluate);
    }

    private Eligible evaluate(Map<String, String> selector) {
        int notSchedulable = 0;
        int mismatched = 0;
        int[] eligible = new int[table.size()];
        int count = 0;
        for (int b = 0; b < table.size(); b++) {
            Bin bin = table.bin(b);
            if (!bin.schedulable()) {
                notSchedulable++;
            } else if (!bin.matches(selector)) {
                mismatched++;
            } else {
                eligible[count++] = b;
            }
        }
        return new Eligible(IntStream.of(eligible).limit(count).toArray(), notSchedulable, mismatched);
    }
}
