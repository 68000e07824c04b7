package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of a jail: kiln builds the jail's root before the jailer runs (the jailer adds its device nodes and
 * the Firecracker binary) and removes the whole jail, and the cgroups the jailer made, when the VM goes.
 *
 * <p>The kernel, initrd and drives are hard-linked in (copied when the jail is on another file system). A linked file
 * shares its inode with the original, so a chown shows on the original too; kiln therefore chowns a file to the jail's
 * uid/gid only where Firecracker needs it: writable drives, and read-only files that others cannot read.
 */
final class JailFiles {
    private static final Logger LOG = LoggerFactory.getLogger(JailFiles.class);

    /** How a file got into the jail. */
    enum Placement { LINKED, COPIED }

    private JailFiles() {}

    /** Builds the jail's root for {@code spec}; fails if the jail exists already (a VM with this id, or a leftover). */
    static void prepare(FcLayout.Jailed jailed, VmSpec spec) {
        JailLayout layout = jailed.layout();
        int uid = jailed.jail().uid();
        int gid = jailed.jail().gid();
        if (Files.exists(layout.jailDir())) {
            throw new VmmException(VmmError.INVALID_SPEC, "jail " + layout.jailDir() + " already exists",
                    "another VM with id " + spec.id() + " runs, or an earlier one was not removed; remove it with"
                            + " 'kiln vm rm " + spec.id() + "' or delete the directory");
        }
        try {
            Path run = layout.onHost(FcLayout.JAIL_RUN);
            Files.createDirectories(run);
            chown(layout.root(), uid, gid);
            chown(run, uid, gid);
            place(spec.kernel(), layout.onHost(layout.kernelInJail()), false, uid, gid);
            if (spec.initrd().isPresent()) {
                place(spec.initrd().get(), layout.onHost(layout.initrdInJail()), false, uid, gid);
            }
            for (DriveSpec d : spec.drives()) {
                place(d.path(), layout.onHost(layout.driveInJail(d.id())), !d.readOnly(), uid, gid);
            }
            for (Path own : List.of(jailed.logOnHost(), jailed.metricsOnHost())) {
                Files.createFile(own);
                chown(own, uid, gid);
            }
        } catch (IOException e) {
            remove(layout.jailDir(), List.of());
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot prepare jail " + layout.jailDir() + ": " + e,
                    "check that " + jailed.jail().chrootBaseDir() + " is writable by kiln (it must run as root)", e);
        }
    }

    /**
     * Puts {@code source} at {@code target} by a hard link, or a copy when a link is impossible (another file
     * system); makes it usable by uid/gid as described above.
     */
    static Placement place(Path source, Path target, boolean writable, int uid, int gid) throws IOException {
        Files.createDirectories(target.getParent());
        Placement how;
        try {
            Files.createLink(target, source);
            how = Placement.LINKED;
        } catch (NoSuchFileException | FileAlreadyExistsException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            // EXDEV (another file system) or a file system without hard links
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
            how = Placement.COPIED;
        }
        if (writable || !Files.getPosixFilePermissions(target).contains(PosixFilePermission.OTHERS_READ)) {
            chown(target, uid, gid);
        }
        return how;
    }

    /** Removes the jail directory and the cgroup directories; missing ones are fine, failures are logged. */
    static void remove(Path jailDir, List<Path> cgroupDirs) {
        if (Files.exists(jailDir)) {
            try (Stream<Path> all = Files.walk(jailDir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                LOG.warn("cannot remove jail {}: {}", jailDir, e.toString());
            }
        }
        for (Path cgroup : cgroupDirs) {
            try {
                // a cgroup directory goes with rmdir once its processes are gone; its files cannot be deleted
                Files.deleteIfExists(cgroup);
            } catch (IOException e) {
                LOG.warn("cannot remove cgroup {}: {}", cgroup, e.toString());
            }
        }
    }

    private static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }
}
