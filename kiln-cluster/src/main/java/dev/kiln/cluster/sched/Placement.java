package dev.kiln.cluster.sched;

import dev.kiln.api.ApiException;
import java.util.Map;
import java.util.Optional;

/**
 * The plan the {@link Scheduler} produces: new bindings, and a reason for every unbound item that did not fit.
 *
 * <p>Items already bound in the snapshot appear in neither map. Both maps are unmodifiable and iterate in name
 * order.
 *
 * @param bindings      item name to bin name, for items that were unbound and now have a bin
 * @param unschedulable item name to the reason it could not be placed
 */
public record Placement(Map<String, String> bindings, Map<String, Unschedulable> unschedulable) {

    /** Takes unmodifiable copies; rejects an item that is both bound and unschedulable. */
    public Placement {
        bindings = Names.sortedCopy(bindings, "bindings");
        unschedulable = Names.sortedCopy(unschedulable, "unschedulable");
        for (String item : bindings.keySet()) {
            if (unschedulable.containsKey(item)) {
                throw new ApiException("item " + item + " is both bound and unschedulable",
                        "a placement gives each item a bin or a reason, not both");
            }
        }
    }

    /** The bin {@code item} is newly bound to, if any. */
    public Optional<String> binOf(String item) {
        return Optional.ofNullable(bindings.get(item));
    }

    /** Why {@code item} could not be placed, if it could not. */
    public Optional<Unschedulable> reasonFor(String item) {
        return Optional.ofNullable(unschedulable.get(item));
    }
}
