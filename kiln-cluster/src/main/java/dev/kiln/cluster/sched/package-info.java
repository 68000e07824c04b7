/**
 * The scheduler: a pure function from an immutable {@link dev.kiln.cluster.sched.Snapshot} of bins (capacity,
 * labels, state) and items (requests, selector, spread group) to a {@link dev.kiln.cluster.sched.Placement} plan.
 *
 * <p>The same algorithm places Pods on Nodes and Nodes on Hosts; see {@link dev.kiln.cluster.sched.Scheduler}.
 * This package depends on no other kiln-cluster package: callers map their resources onto {@code Bin} and
 * {@code Item} and apply the resulting bindings themselves.
 */
package dev.kiln.cluster.sched;
