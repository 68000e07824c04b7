package dev.kiln.cluster.sched;

/**
 * Why an item could not be placed, in words for people, e.g. {@code 0/3 nodes fit: 2 insufficient memory (needs
 * 512Mi, largest free 256Mi); 1 not schedulable}.
 *
 * @param reason the explanation, never blank
 */
public record Unschedulable(String reason) {
    /** Rejects a blank reason. */
    public Unschedulable {
        Names.require(reason, "reason");
    }
}
