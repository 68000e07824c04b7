package dev.kiln.vmm.firecracker;

/** When Firecracker accepts a request, relative to {@code InstanceStart} (or a snapshot load). */
public enum AllowedWhen {
    /** Only before the guest has started: configuration of a fresh process. */
    PRE_BOOT,
    /** Only after the guest has started (running or paused). */
    POST_BOOT,
    /** At any time. */
    ALWAYS;

    /** True when a request with this rule is accepted by an instance in {@code state}. */
    public boolean permits(FcState state) {
        return switch (this) {
            case PRE_BOOT -> state == FcState.NOT_STARTED;
            case POST_BOOT -> state != FcState.NOT_STARTED;
            case ALWAYS -> true;
        };
    }
}
