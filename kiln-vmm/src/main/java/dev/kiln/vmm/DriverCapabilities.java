package dev.kiln.vmm;

/** What a driver can do, as data: callers check these fields, never the driver's class. */
public record DriverCapabilities(
        boolean pause,
        boolean gracefulShutdown,
        boolean recover,
        boolean driveRateLimits,
        boolean nicRateLimitsInVmm,
        boolean snapshots,
        boolean vsock) {}
