package dev.kiln.cluster.sched;

import dev.kiln.api.ApiException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The immutable view the {@link Scheduler} works from: every bin, and every item, bound or not.
 *
 * <p>The order of either list does not matter: the scheduler gives the same placement for any order.
 *
 * @param bins  the bins, names unique
 * @param items the items, names unique; bound ones are accounted, unbound ones placed
 */
public record Snapshot(List<Bin> bins, List<Item> items) {

    /** Takes unmodifiable copies; rejects duplicate names. */
    public Snapshot {
        bins = List.copyOf(bins);
        items = List.copyOf(items);
        unique(bins, Bin::name, "bin");
        unique(items, Item::name, "item");
    }

    private static <T> void unique(List<T> values, Function<T, String> name, String what) {
        Set<String> seen = new HashSet<>();
        for (T value : values) {
            if (!seen.add(name.apply(value))) {
                throw new ApiException("two " + what + "s are named " + name.apply(value),
                        "give every " + what + " of a snapshot its own name");
            }
        }
    }
}
