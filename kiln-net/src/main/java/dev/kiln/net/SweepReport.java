package dev.kiln.net;

import java.util.List;
import java.util.Objects;

/**
 * What a sweep removed.
 *
 * @param removedLinks    names of the taps and ifb devices that were deleted
 * @param releasedLeases  vm ids whose address leases were released
 */
public record SweepReport(List<String> removedLinks, List<String> releasedLeases) {
    public SweepReport {
        removedLinks = List.copyOf(Objects.requireNonNull(removedLinks, "removedLinks"));
        releasedLeases = List.copyOf(Objects.requireNonNull(releasedLeases, "releasedLeases"));
    }

    public boolean isEmpty() {
        return removedLinks.isEmpty() && releasedLeases.isEmpty();
    }
}
