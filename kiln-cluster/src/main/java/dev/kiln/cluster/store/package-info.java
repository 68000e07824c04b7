/**
 * The store: {@link dev.kiln.cluster.store.KvStore}, the few etcd operations kiln needs (reads, conditional writes on
 * revisions, prefix watches from a revision, leases), on etcd ({@code EtcdKvStore}, through jetcd) or in memory
 * ({@link dev.kiln.cluster.store.MemoryKvStore}); one conformance suite runs against both.
 * {@link dev.kiln.cluster.store.EtcdProcess} starts and stops a single-member etcd under kiln's state directory.
 */
package dev.kiln.cluster.store;
