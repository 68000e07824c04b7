package dev.kiln.cluster.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Explains, Kubernetes-style, why an item fits no bin: how many bins failed for which reason.
 *
 * <p>Two shapes: an item larger than every bin's whole capacity in CPU or in memory gets {@code requests cpu 4,
 * memory 8Gi exceed every node's capacity (largest: cpu 2, memory 4Gi)}, since no amount of waiting helps it;
 * otherwise {@code 0/3 nodes fit: 1 insufficient cpu (needs 2, largest free 1500m); 1 not schedulable; 1 does not
 * match the selector disktype=ssd}. Parts appear in that fixed order, only when their count is not zero; a bin
 * short of both CPU and memory counts in both.
 */
final class Reasons {
    private Reasons() {}

    /** The words a scheduler uses for its bins: {@code node}/{@code nodes} or {@code host}/{@code hosts}. */
    record Noun(String singular, String plural) {}

    /**
     * @param candidates the eligible bins whose ports do not clash with the item's
     * @param conflicts  how many eligible bins have one of the item's ports in use
     */
    static Unschedulable explain(Item item, BinTable table, Eligibility.Eligible eligible, Noun noun,
                                 int[] candidates, int conflicts) {
        Capacity requests = item.requests();
        if (table.size() == 0) {
            return new Unschedulable("0/0 " + noun.plural() + " fit: there are no " + noun.plural());
        }
        Capacity largest = table.largest();
        if (requests.cpuMillis() > largest.cpuMillis() || requests.memoryBytes() > largest.memoryBytes()) {
            return new Unschedulable("requests " + Quantities.both(requests) + " exceed every " + noun.singular()
                    + "'s capacity (largest: " + Quantities.both(largest) + ")");
        }
        int shortOfCpu = 0;
        int shortOfMemory = 0;
        long largestFreeCpu = 0;
        long largestFreeMemory = 0;
        for (int b : candidates) {
            if (table.freeCpu(b) < requests.cpuMillis()) {
                shortOfCpu++;
                largestFreeCpu = Math.max(largestFreeCpu, table.freeCpu(b));
            }
            if (table.freeMemory(b) < requests.memoryBytes()) {
                shortOfMemory++;
                largestFreeMemory = Math.max(largestFreeMemory, table.freeMemory(b));
            }
        }
        List<String> parts = new ArrayList<>();
        if (shortOfCpu > 0) {
            parts.add(shortOfCpu + " insufficient cpu (needs " + Quantities.cpu(requests.cpuMillis())
                    + ", largest free " + Quantities.cpu(largestFreeCpu) + ")");
        }
        if (shortOfMemory > 0) {
            parts.add(shortOfMemory + " insufficient memory (needs " + Quantities.memory(requests.memoryBytes())
                    + ", largest free " + Quantities.memory(largestFreeMemory) + ")");
        }
        if (conflicts > 0) {
            parts.add(conflicts + " already " + (conflicts == 1 ? "has" : "have") + " a pod on port "
                    + item.ports().stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors
                    .joining(", ")) + " (pods share their node's network)");
        }
        if (eligible.notSchedulable() > 0) {
            parts.add(eligible.notSchedulable() + " not schedulable");
        }
        if (eligible.mismatched() > 0) {
            parts.add(eligible.mismatched() + " " + (eligible.mismatched() == 1 ? "does" : "do")
                    + " not match the selector " + Quantities.selector(item.selector()));
        }
        return new Unschedulable("0/" + table.size() + " " + noun.plural() + " fit: " + String.join("; ", parts));
    }
}
