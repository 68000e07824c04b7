package dev.kiln.vmm.qemu;

import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.VmCgroups;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jails QEMU processes. Each VMM
 * <ul>
 *   <li>runs as a user and group of its own ({@link JailPolicy}'s range; no account, no supplementary groups),
 *       taken by QEMU's {@code -runas} once it has opened its kernel, disks, tap and sockets as root;</li>
 *   <li>is chrooted ({@code -chroot}) into an empty directory of its run directory ({@code jail/}), which later
 *       holds only the socket a snapshot is streamed through;</li>
 *   <li>runs under QEMU's seccomp sandbox with obsolete system calls, spawning processes and changing resource
 *       limits or scheduling denied ({@code -sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny}). Privilege
 *       changes stay allowed by the filter because QEMU 7.2 installs it before its own {@code -runas} and
 *       {@code elevateprivileges=deny} kills QEMU at that very setuid (seen: "Bad system call"); after the drop the
 *       process has no capabilities and {@code no_new_privs}, so it cannot become anyone else;</li>
 *   <li>joins its own cgroups ({@link VmCgroups}) with memory, process and CPU limits derived from the spec before it
 *       runs (the shell that starts it writes its pid into them and then {@code exec}s QEMU);</li>
 *   <li>inherits no file descriptors but its standard ones (the JDK closes the rest when it spawns).</li>
 * </ul>
 */
final class QemuJail {
    private static final Logger LOG = LoggerFactory.getLogger(QemuJail.class);
    static final String SANDBOX = "on,obsolete=deny,spawn=deny,resourcecontrol=deny";
    /** QEMU's own memory beside the guest's: its heap, device state, I/O buffers. */
    static final long OVERHEAD_BYTES = 256L << 20;
    /** Under TCG, the translated-code cache (QEMU 7.2's default size on a 64-bit host with this much memory). */
    static final long TCG_CACHE_BYTES = 1L << 30;

    private final JailPolicy policy;
    private final Optional<VmCgroups> cgroups;
    private final Set<Long> allocated = new HashSet<>();

    QemuJail(JailPolicy policy, Optional<VmCgroups> cgroups) {
        this.policy = policy;
        this.cgroups = cgroups;
        if (policy.enabled() && cgroups.isEmpty()) {
            LOG.warn("no writable memory, pids and cpu cgroup controllers: VMMs are jailed (own uid, chroot, seccomp) "
                    + "but run without cgroup limits");
        }
    }

    /** The first descriptor a jailed QEMU inherits for its drives. */
    static final int FIRST_DRIVE_FD = 10;

    /** One VMM's jail. */
    record Jail(long uid, Path root, String cgroupName, List<Path> procsFiles) {
        /**
         * The descriptors QEMU inherits for each drive of {@code spec}: a read-only drive one opened read-only; a
         * writable one a read-write and a read-only one, because QEMU reopens a drive read-only when a live
         * migration ends, and chrooted it cannot by path. Fd set N is the N-th drive (from 1).
         */
        static java.util.Map<String, QemuCommandLine.DriveFds> driveFds(VmSpec spec) {
            java.util.Map<String, QemuCommandLine.DriveFds> out = new java.util.LinkedHashMap<>();
            int fd = FIRST_DRIVE_FD;
            int set = 1;
            for (var d : spec.drives()) {
                List<Integer> fds = d.readOnly() ? List.of(fd) : List.of(fd, fd + 1);
                fd += fds.size();
                out.put(d.id(), new QemuCommandLine.DriveFds(set++, fds));
            }
            return out;
        }

        /**
         * What precedes QEMU's command: a shell that joins the cgroups and then becomes QEMU (same pid), with the
         * drives' descriptors open ({@code N<>FILE} read-write, {@code N<FILE} read-only).
         */
        List<String> prefix(VmSpec spec) {
            var fds = driveFds(spec);
            if (procsFiles.isEmpty() && fds.isEmpty()) {
                return List.of();
            }
            StringBuilder script = new StringBuilder();
            for (Path procs : procsFiles) {
                script.append("echo $$ > ").append(shellQuote(procs.toString())).append(" && ");
            }
            script.append("exec \"$@\"");
            for (var d : spec.drives()) {
                List<Integer> open = fds.get(d.id()).fds();
                String file = shellQuote(d.path().toString());
                if (d.readOnly()) {
                    script.append(' ').append(open.get(0)).append('<').append(file);
                } else {
                    script.append(' ').append(open.get(0)).append("<>").append(file)
                            .append(' ').append(open.get(1)).append('<').append(file);
                }
            }
            return List.of("/bin/bash", "-c", script.toString(), "kiln-jail");
        }

        /** QEMU's options that drop privileges, chroot and filter system calls. */
        List<String> qemuArgs() {
            return List.of("-runas", uid + ":" + uid, "-chroot", root.toString(), "-sandbox", SANDBOX);
        }

        /** The path QEMU sees (after its chroot) for a file in the jail. */
        String inside(Path file) {
            return "/" + root.relativize(file);
        }
    }

    /**
     * The limits of a VM's VMM: its memory plus QEMU's own, its threads, its vCPUs plus one for I/O; it weighs as one
     * process per vCPU.
     */
    static VmCgroups.Limits limits(VmSpec spec, Accelerator accel) {
        long memory = spec.memory().bytes() + OVERHEAD_BYTES + (accel == Accelerator.TCG ? TCG_CACHE_BYTES : 0);
        int pids = 128 + 4 * spec.vcpus(); // QEMU's vCPU threads, its I/O thread pool (up to 64) and helpers
        return new VmCgroups.Limits(memory, pids, spec.vcpus() + 1.0, spec.vcpus());
    }

    boolean enabled() {
        return policy.enabled();
    }

    /**
     * Makes the jail of a VM about to start: a uid nobody uses, an empty chroot directory, its cgroups.
     *
     * @throws VmmException VMM_START_FAILED when one of them cannot be made (nothing is left behind)
     */
    Jail prepare(VmSpec spec, Path runDir, Accelerator accel) {
        long uid = allocateUid();
        Path root = runDir.resolve("jail");
        String group = spec.id().value();
        try {
            deleteTree(root);
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<Path> procs = List.of();
            if (cgroups.isPresent()) {
                cgroups.get().create(group, limits(spec, accel));
                procs = cgroups.get().procsFiles(group);
            }
            return new Jail(uid, root, group, procs);
        } catch (IOException | RuntimeException e) {
            release(new Jail(uid, root, group, List.of()));
            if (e instanceof VmmException v) throw v;
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot prepare the jail of VM " + spec.id() + " in "
                    + root + ": " + e.getMessage(), "check that the state directory is writable", e);
        }
    }

    /** Removes what {@link #prepare} made once the VMM has ended; safe to call more than once. */
    void release(Jail jail) {
        cgroups.ifPresent(c -> c.remove(jail.cgroupName()));
        try {
            deleteTree(jail.root());
        } catch (IOException e) {
            LOG.warn("cannot remove the jail directory {}: {}", jail.root(), e.getMessage());
        }
        synchronized (allocated) {
            allocated.remove(jail.uid());
        }
    }

    /** The lowest id of the range that neither this driver gave out nor any live process runs as. */
    private long allocateUid() {
        Set<Long> inUse = new HashSet<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
                try {
                    inUse.add(((Number) Files.getAttribute(p, "unix:uid")).longValue());
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked
                }
            });
        } catch (IOException e) {
            LOG.debug("cannot list /proc: {}", e.getMessage());
        }
        synchronized (allocated) {
            for (long uid = policy.uidBase(); uid < policy.uidBase() + policy.uidCount(); uid++) {
                if (!allocated.contains(uid) && !inUse.contains(uid)) {
                    allocated.add(uid);
                    return uid;
                }
            }
        }
        throw new VmmException(VmmError.VMM_START_FAILED, "all " + policy.uidCount() + " VMM user ids from "
                + policy.uidBase() + " are in use", "remove VMs you no longer need");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) Files.deleteIfExists(p);
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
