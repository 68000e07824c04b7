package dev.kiln.vmm;

import java.nio.file.Files;
import java.nio.file.Path;

/** The file checks every driver makes before it starts a VMM: kernel, initrd and disks exist and can be used. */
public final class SpecFiles {
    private SpecFiles() {
    }

    /**
     * @throws VmmException FILE_NOT_FOUND naming the file: missing or unreadable, or a writable disk that cannot be
     *                      written
     */
    public static void check(VmSpec spec) {
        requireFile(spec.kernel(), "kernel");
        spec.initrd().ifPresent(i -> requireFile(i, "initrd"));
        for (DriveSpec d : spec.drives()) {
            requireFile(d.path(), "disk '" + d.id() + "'");
            if (!d.readOnly() && !Files.isWritable(d.path())) {
                throw new VmmException(VmmError.FILE_NOT_FOUND, "disk " + d.path() + " is not writable",
                        "attach it read-only (FILE:ro) or fix its permissions");
            }
        }
    }

    /** @throws VmmException FILE_NOT_FOUND when {@code p} is not a readable regular file; {@code what} names it */
    public static void requireFile(Path p, String what) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, what + " file " + p + " does not exist or is not readable",
                    "check the path");
        }
    }
}
