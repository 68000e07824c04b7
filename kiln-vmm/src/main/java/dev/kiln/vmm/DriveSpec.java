package dev.kiln.vmm;

import dev.kiln.api.RateLimiter;
import java.nio.file.Path;

/** A block device. The first drive of a spec is the guest's root file system (vda); the rest are vdb, vdc, ... */
public record DriveSpec(String id, Path path, boolean readOnly, RateLimiter rateLimiter) {
    public DriveSpec {
        if (id == null || !id.matches("[a-z][a-z0-9]{0,15}")) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid drive id '" + id + "'", "use a short lower-case id");
        }
        path = path.toAbsolutePath().normalize();
    }

    public static DriveSpec of(String id, Path path, boolean readOnly) {
        return new DriveSpec(id, path, readOnly, RateLimiter.none());
    }
}
