package dev.kiln.vmm.firecracker;

import dev.kiln.api.RateLimiter;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.NicSpec;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FcRequest.CacheType;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.IoEngine;
import dev.kiln.vmm.firecracker.FcRequest.LoadSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.MemBackend;
import dev.kiln.vmm.firecracker.FcRequest.NetworkOverride;
import dev.kiln.vmm.firecracker.FcRequest.PutBootSource;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutEntropy;
import dev.kiln.vmm.firecracker.FcRequest.PutLogger;
import dev.kiln.vmm.firecracker.FcRequest.PutMachineConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutMetrics;
import dev.kiln.vmm.firecracker.FcRequest.PutMmds;
import dev.kiln.vmm.firecracker.FcRequest.PutMmdsConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PutVsock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The requests that configure and boot one VM, in the order they are sent. Pure: building the list validates every
 * value (vCPUs, memory, ids, MACs, socket paths), so a spec Firecracker would refuse fails before anything starts.
 *
 * <p>Order: logger and metrics first (so Firecracker reports on everything after), machine, kernel, drives, NICs,
 * vsock, entropy, then MMDS (its config names NICs, which must exist by then) and its data, and last
 * {@code InstanceStart}.
 *
 * <p>With an initrd, no drive is Firecracker's root device: kiln's initramfs mounts the first drive ({@code /dev/vda})
 * itself. Without one the first drive is the root device, so Firecracker adds {@code root=/dev/vda} to the command
 * line.
 */
final class FcBootSequence {
    /** The guest's vsock CID. Firecracker's vsock is per VM (its host end is a Unix socket), so any valid CID does. */
    static final long GUEST_CID = 3;

    private FcBootSequence() {}

    static List<FcRequest> boot(VmSpec spec, FcLayout layout, FirecrackerConfig config) {
        List<FcRequest> out = new ArrayList<>(observability(layout, config));
        out.add(machine(spec, config));
        out.add(new PutBootSource(layout.kernelForVmm(spec), layout.initrdForVmm(spec), bootArgs(spec, config)));
        boolean firstIsRoot = spec.initrd().isEmpty();
        for (int i = 0; i < spec.drives().size(); i++) {
            DriveSpec d = spec.drives().get(i);
            out.add(new PutDrive(d.id(), layout.driveForVmm(d), firstIsRoot && i == 0, d.readOnly(), CacheType.UNSAFE,
                    IoEngine.SYNC, d.rateLimiter()));
        }
        for (NicSpec n : spec.nics()) {
            out.add(new PutNetworkInterface(n.id(), n.tapName(), Optional.of(n.mac()), n.rx(), n.tx()));
        }
        if (spec.channel() == GuestChannel.VSOCK) {
            out.add(new PutVsock(GUEST_CID, layout.vsockForVmm()));
        }
        out.add(new PutEntropy(RateLimiter.none()));
        if (!spec.nics().isEmpty()) {
            out.add(PutMmdsConfig.on(spec.nics().getFirst().id()));
            out.add(new PutMmds(MmdsIdentity.of(spec)));
        }
        out.add(new InstanceStart());
        return List.copyOf(out);
    }

    /**
     * Restoring a snapshot into a fresh process: logger, metrics, the load (paused, with the spec's taps and vsock
     * socket in place of the snapshot's), then the new identity. The caller resumes the VM after.
     */
    static List<FcRequest> restore(VmSpec spec, FcLayout layout, FirecrackerConfig config, Path stateForVmm,
            Path memoryForVmm) {
        List<FcRequest> out = new ArrayList<>(observability(layout, config));
        List<NetworkOverride> taps = spec.nics().stream().map(n -> new NetworkOverride(n.id(), n.tapName())).toList();
        Optional<Path> vsock = spec.channel() == GuestChannel.VSOCK ? Optional.of(layout.vsockForVmm()) : Optional.empty();
        out.add(new LoadSnapshot(stateForVmm, MemBackend.file(memoryForVmm), false, false, taps, vsock));
        if (!spec.nics().isEmpty()) {
            out.add(new PutMmds(MmdsIdentity.of(spec)));
        }
        return List.copyOf(out);
    }

    static String bootArgs(VmSpec spec, FirecrackerConfig config) {
        return (config.baseBootArgs() + " " + spec.bootArgs()).strip();
    }

    /** The machine, with kiln's memory floor and Firecracker's vCPU rule checked here (1 or even, at most 32). */
    static PutMachineConfig machine(VmSpec spec, FirecrackerConfig config) {
        long mib = spec.memory().mebibytes();
        if (spec.memory().bytes() % (1L << 20) != 0) {
            throw new VmmException(VmmError.INVALID_SPEC, "memory " + spec.memory() + " is not a whole number of MiB",
                    "Firecracker sizes memory in MiB; round it, e.g. 512M");
        }
        if (mib > Integer.MAX_VALUE) {
            throw new VmmException(VmmError.INVALID_SPEC, "memory " + spec.memory() + " is too large", "ask for less");
        }
        FcRequest.HugePages pages = spec.hugePages() ? FcRequest.HugePages.TWO_MB : config.hugePages();
        return new PutMachineConfig(spec.vcpus(), (int) mib, config.smt(), pages, false);
    }

    private static List<FcRequest> observability(FcLayout layout, FirecrackerConfig config) {
        return List.of(new PutLogger(layout.logForVmm(), config.logLevel(), true, false),
                new PutMetrics(layout.metricsForVmm()));
    }
}
