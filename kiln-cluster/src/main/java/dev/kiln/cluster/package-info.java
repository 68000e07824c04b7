/**
 * The cluster (issue 5): resources and manifests ({@code model}), the key-value store on etcd ({@code store}),
 * the pure scheduler ({@code sched}) and the controllers. See docs/ARCHITECTURE.md, "The cluster".
 */
package dev.kiln.cluster;
