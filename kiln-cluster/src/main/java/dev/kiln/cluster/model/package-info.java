/**
 * The cluster's resources as immutable records, Kubernetes-shaped ({@code apiVersion: kiln.dev/v1}, kind,
 * metadata, spec, status): {@link dev.kiln.cluster.model.Resource} is a sealed interface with one record per
 * {@link dev.kiln.cluster.model.Kind}. {@link dev.kiln.cluster.model.Manifests} reads and writes them as YAML and
 * JSON strictly, {@link dev.kiln.cluster.model.Validation} checks their values, and
 * {@link dev.kiln.cluster.model.Quantity} parses CPU and memory quantities.
 */
package dev.kiln.cluster.model;
