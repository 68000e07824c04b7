package dev.kiln.vmm.qemu;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the QEMU {@code microvm} command line for a spec. Pure: no I/O, unit-tested.
 *
 * <p>Drive rate limits map Firecracker's buckets onto QEMU block throttling: the sustained rate is
 * size/refill-time ({@code throttling.bps-total}, {@code throttling.iops-total}); the one-time burst becomes a
 * one-second allowance above it ({@code *-max} = rate + burst, {@code *-max-length} = 1).
 */
public final class QemuCommandLine {
    /** Every kiln QEMU process carries this in its command line, so kiln can tell its own processes. */
    public static final String LABEL_PREFIX = "kiln-vm-";

    private QemuCommandLine() {}

    public static List<String> build(Path binary, Accelerator accel, VmSpec spec, Path runDir) {
        return build(binary, accel, java.util.Optional.empty(), spec, runDir);
    }

    /**
     * @param tscKhz under TCG, the host TSC rate to hand the guest kernel; with {@code no_timer_check} it keeps a
     *               busy host from hanging the guest's early timer calibration
     */
    public static List<String> build(Path binary, Accelerator accel, java.util.Optional<Long> tscKhz, VmSpec spec, Path runDir) {
        return build(binary, accel, tscKhz, spec, runDir, java.util.Map.of());
    }

    /**
     * @param driveFds for a jailed QEMU, the descriptors it inherits for each drive (by drive id): the drive is then
     *                 {@code /dev/fdset/N} with those descriptors added to set N, so that QEMU, chrooted, can still
     *                 reopen it (it does when a live migration ends and the drive goes read-only)
     */
    public static List<String> build(Path binary, Accelerator accel, java.util.Optional<Long> tscKhz, VmSpec spec,
            Path runDir, java.util.Map<String, DriveFds> driveFds) {
        List<String> args = new ArrayList<>();
        args.add(binary.toString());
        args.addAll(List.of("-name", LABEL_PREFIX + spec.id().value()));
        if (spec.hugePages()) {
            // guest memory from a file on the hugetlbfs the driver mounted in the run directory (QEMU unlinks it
            // at once; the pages go back to the host's pool when QEMU exits). prealloc: every page is taken at
            // start, so a pool that runs short fails the start, not the guest later.
            args.addAll(List.of("-object", "memory-backend-file,id=mem,size=" + spec.memory().mebibytes()
                    + "M,mem-path=" + escape(hugePagesDir(runDir).toString()) + ",prealloc=on"));
            args.addAll(List.of("-machine", "microvm,acpi=on,memory-backend=mem"));
        } else {
            args.addAll(List.of("-machine", "microvm,acpi=on"));
        }
        args.addAll(List.of("-accel", accel.qemuName()));
        // TCG's default model (qemu64) has no SSSE3, SSE4 or AVX: Debian's numpy, OpenBLAS and PyTorch die of an
        // illegal instruction on it. 'max' is every feature TCG emulates (QEMU 7.2: up to AVX2, FMA, F16C).
        args.addAll(List.of("-cpu", accel == Accelerator.KVM ? "host" : "max"));
        args.addAll(List.of("-m", spec.memory().mebibytes() + "M", "-smp", Integer.toString(spec.vcpus())));
        args.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
        args.addAll(List.of("-kernel", spec.kernel().toString()));
        spec.initrd().ifPresent(i -> args.addAll(List.of("-initrd", i.toString())));
        // panic=-1 reboot=t: a panicking guest resets at once, by a triple fault, which QEMU (-no-reboot) always turns
        // into its exit. The kernel's default order tries ACPI and the keyboard controller first, and on a microvm
        // (no i8042) that sometimes never got to the reset: a panicked guest left its QEMU running (seen under TCG)
        String append = "console=ttyS0 panic=-1 reboot=t quiet";
        if (accel == Accelerator.TCG) {
            // tsc=reliable: TCG's TSC is the host's, but its timer ticks come late on a busy host, so the kernel's
            // watchdog judged the TSC against jiffies, marked it unstable and fell back to refined-jiffies: a clock
            // of 4 ms steps that loses the late ticks (a benchmark's in-function times were off)
            append += tscKhz.map(k -> " tsc_early_khz=" + k).orElse("") + " no_timer_check tsc=reliable";
        }
        append += spec.bootArgs().isEmpty() ? "" : " " + spec.bootArgs();
        args.addAll(List.of("-append", append));
        args.addAll(List.of("-chardev", "file,id=console,path=" + escape(runDir.resolve("console.log").toString())));
        args.addAll(List.of("-serial", "chardev:console"));
        args.addAll(List.of("-qmp", "unix:" + escape(runDir.resolve("qmp.sock").toString()) + ",server=on,wait=off"));
        for (DriveSpec d : spec.drives()) {
            DriveFds fds = driveFds.get(d.id());
            if (fds != null) {
                fds.fds().forEach(fd -> args.addAll(List.of("-add-fd", "fd=" + fd + ",set=" + fds.set())));
            }
            args.addAll(List.of("-drive", driveOption(d, fds == null ? d.path().toString() : "/dev/fdset/" + fds.set())));
            args.addAll(List.of("-device", "virtio-blk-device,drive=" + d.id()));
        }
        for (NicSpec n : spec.nics()) {
            args.addAll(List.of("-netdev", "tap,id=" + n.id() + ",ifname=" + n.tapName() + ",script=no,downscript=no"));
            args.addAll(List.of("-device", "virtio-net-device,netdev=" + n.id() + ",mac=" + n.mac()));
        }
        return args;
    }

    /** Where a VM with {@link VmSpec#hugePages()} has its hugetlbfs mounted. */
    static Path hugePagesDir(Path runDir) {
        return runDir.resolve("hugepages");
    }

    /** The descriptors (inherited, open on the drive's file) of fd set {@code set}. */
    public record DriveFds(int set, List<Integer> fds) {
        public DriveFds {
            fds = List.copyOf(fds);
        }
    }

    static String driveOption(DriveSpec d) {
        return driveOption(d, d.path().toString());
    }

    static String driveOption(DriveSpec d, String file) {
        StringBuilder sb = new StringBuilder("id=").append(d.id())
                .append(",file=").append(escape(file))
                .append(",format=raw,if=none")
                .append(",readonly=").append(d.readOnly() ? "on" : "off");
        if (file.startsWith("/dev/fdset/")) {
            // QEMU's image locks are OFD locks, owned by the open file description: the set's own descriptor keeps
            // a lock taken through a dup of it after QEMU closes the dup, so the drive's read-write reopen after a
            // migration finds its own stale lock ("Failed to get write lock"). kiln never gives two VMs one
            // writable file (a scratch disk is per VM), so the lock guards nothing here.
            sb.append(",file.locking=off");
        }
        throttling(d.rateLimiter()).forEach(t -> sb.append(',').append("throttling.").append(t));
        return sb.toString();
    }

    /** QEMU option values escape ',' by doubling it. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    /** The throttling key=value pairs for a limiter (without the "throttling." prefix). */
    static List<String> throttling(RateLimiter limiter) {
        List<String> out = new ArrayList<>();
        limiter.activeBandwidth().ifPresent(b -> bucket(out, "bps-total", b));
        limiter.activeOps().ifPresent(b -> bucket(out, "iops-total", b));
        return out;
    }

    private static void bucket(List<String> out, String key, TokenBucket b) {
        long rate = Math.max(1, b.tokensPerSecond());
        out.add(key + "=" + rate);
        if (b.oneTimeBurst() > 0) {
            out.add(key + "-max=" + (rate + b.oneTimeBurst()));
            out.add(key + "-max-length=1");
        }
    }
}
