package dev.kiln.cluster;

/** What went wrong in the cluster layer; the API server and the CLI map each code to an HTTP status and exit code. */
public enum ClusterError {
    /** A resource or manifest breaks a rule (bad value, bad name, malformed document). */
    INVALID,
    /** A manifest or command names a kind that kiln does not know. */
    UNKNOWN_KIND,
    /** A manifest has a field that its kind does not have. */
    UNKNOWN_FIELD,
    /** The named resource does not exist. */
    NOT_FOUND,
    /** An update was based on a stale resourceVersion (optimistic concurrency). */
    CONFLICT,
    /** A create found the resource already there. */
    ALREADY_EXISTS,
    /**
     * A host's slice of the cluster network overlaps another registered host's, or lies outside the cluster CIDR:
     * two VMs could get the same address, so the host does not join.
     */
    SUBNET_CONFLICT,
    /** The store or another dependency cannot be reached right now; retrying may help. */
    UNAVAILABLE,
    /** The request did not carry the API's token (or carried a wrong one). */
    UNAUTHENTICATED,
    /** A bug in kiln. */
    INTERNAL
}
