package dev.kiln.cluster.sched;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The algorithm of {@link Scheduler}'s javadoc written as plainly as possible, with none of its indexing: a
 * reference the properties compare it with. Gives the new bindings and the names of unschedulable items.
 */
final class NaiveScheduler {
    record Outcome(Map<String, String> bindings, Set<String> unschedulable) {}

    private NaiveScheduler() {}

    static Outcome place(Snapshot snapshot) {
        Map<String, Bin> bins = new TreeMap<>();
        snapshot.bins().forEach(b -> bins.put(b.name(), b));
        Map<String, Capacity> used = new HashMap<>();
        Map<String, Integer> sameGroup = new HashMap<>(); // "group|bin:name" and "group|domain:name"
        bins.values().forEach(b -> used.put(b.name(), b.allocated()));
        List<Item> unbound = new ArrayList<>();
        for (Item item : snapshot.items()) {
            if (item.boundTo().isEmpty()) {
                unbound.add(item);
            } else if (bins.containsKey(item.boundTo().get())) {
                take(item, bins.get(item.boundTo().get()), used, sameGroup);
            }
        }
        unbound.sort(Comparator.comparing((Item i) -> -i.requests().memoryBytes())
                .thenComparing(i -> -i.requests().cpuMillis()).thenComparing(Item::name));
        Map<String, String> bindings = new TreeMap<>();
        Set<String> unschedulable = new TreeSet<>();
        for (Item item : unbound) {
            Optional<Bin> best = bins.values().stream()
                    .filter(Bin::schedulable)
                    .filter(b -> b.matches(item.selector()))
                    .filter(b -> item.requests().fits(b.capacity().minus(used.get(b.name()))))
                    .min(Comparator.comparingInt((Bin b) -> sameGroup.getOrDefault(binKey(item, b), 0))
                            .thenComparingInt(b -> sameGroup.getOrDefault(domainKey(item, b), 0))
                            .thenComparing(b -> -freeShareAfter(item, b, used))
                            .thenComparing(Bin::name));
            if (best.isPresent()) {
                bindings.put(item.name(), best.get().name());
                take(item, best.get(), used, sameGroup);
            } else {
                unschedulable.add(item.name());
            }
        }
        return new Outcome(bindings, unschedulable);
    }

    private static double freeShareAfter(Item item, Bin bin, Map<String, Capacity> used) {
        long capacity = bin.capacity().memoryBytes();
        long free = capacity - used.get(bin.name()).memoryBytes() - item.requests().memoryBytes();
        return capacity == 0 ? 0.0 : (double) free / capacity;
    }

    private static void take(Item item, Bin bin, Map<String, Capacity> used, Map<String, Integer> sameGroup) {
        used.merge(bin.name(), item.requests(), Capacity::plus);
        sameGroup.merge(binKey(item, bin), 1, Integer::sum);
        sameGroup.merge(domainKey(item, bin), 1, Integer::sum);
    }

    private static String binKey(Item item, Bin bin) {
        return item.spreadGroup() + "|bin:" + bin.name();
    }

    private static String domainKey(Item item, Bin bin) {
        return item.spreadGroup() + "|" + bin.domain().map(d -> "domain:" + d).orElse("own-domain:" + bin.name());
    }
}
