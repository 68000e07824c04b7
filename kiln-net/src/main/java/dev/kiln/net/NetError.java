package dev.kiln.net;

/** The error codes of the kiln-net module; each {@link NetException} carries exactly one. */
public enum NetError {
    /** An argument (vm id, CIDR, limit, config value) is malformed or out of range. */
    INVALID_ARGUMENT,
    /** {@code /dev/net/tun} is missing, so no tap device can be created. */
    NO_TUN_DEVICE,
    /** A host tool (ip, tc, nft) is not installed or not on the PATH. */
    TOOL_MISSING,
    /** A host command ran and failed; the exception carries the command and its stderr. */
    COMMAND_FAILED,
    /** A host command did not finish in time and was killed. */
    COMMAND_TIMEOUT,
    /** The bridge name is taken by a link that kiln did not create. */
    BRIDGE_CONFLICT,
    /** The subnet overlaps an address already configured on another interface. */
    SUBNET_CONFLICT,
    /** The tap (or ifb) name of a vm is taken by a link that does not belong to that vm. */
    LINK_CONFLICT,
    /** Every host address of the subnet is leased. */
    ADDRESS_EXHAUSTED,
    /** The vm has no lease (it was never attached, or was detached). */
    NOT_ATTACHED,
    /** A rate limit cannot be expressed with what this kernel's traffic control offers. */
    UNSUPPORTED_LIMIT,
    /** The lease file cannot be read, written or locked, or its content is invalid. */
    STATE_ERROR,
    /** A step ran but the host did not end up in the expected state. */
    VERIFY_FAILED,
    /** The {@link HostNetwork} was closed or torn down. */
    CLOSED
}
