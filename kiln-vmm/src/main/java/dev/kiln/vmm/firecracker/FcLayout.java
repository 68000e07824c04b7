package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.VmSpec;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where one VM's files are: each path as Firecracker is told it ({@code ...ForVmm}) and as kiln on the host sees it.
 * Run directly, the two are the same paths in the run directory; jailed, Firecracker sees paths inside its chroot and
 * kiln links the kernel and disks in under fixed names ({@link JailLayout}). The console ({@code console.log}, the
 * guest's serial port on Firecracker's stdout) and Firecracker's stderr ({@code vmm.log}) are in the run directory
 * either way, since kiln redirects them before Firecracker starts.
 */
sealed interface FcLayout {
    /** Firecracker's files in the run directory, the spec's files where they are. */
    record Direct(Path runDir) implements FcLayout {}

    /** Firecracker's files under {@code /run} in the jail; {@code jail} and {@code layout} describe the same jail. */
    record Jailed(Path runDir, JailSpec jail, JailLayout layout) implements FcLayout {}

    Path runDir();

    /** Files Firecracker itself creates (its API and vsock sockets, logs) live here inside the jail. */
    Path JAIL_RUN = Path.of("/run");

    static FcLayout of(Path runDir, Optional<JailSpec> jail) {
        return jail.<FcLayout>map(j -> new Jailed(runDir, j, JailLayout.of(j))).orElseGet(() -> new Direct(runDir));
    }

    private Path own(String name) {
        return switch (this) {
            case Direct d -> d.runDir().resolve(name);
            case Jailed j -> JAIL_RUN.resolve(name);
        };
    }

    private Path onHost(Path forVmm) {
        return switch (this) {
            case Direct d -> forVmm;
            case Jailed j -> j.layout().onHost(forVmm);
        };
    }

    default Path apiSocket() {
        return switch (this) {
            case Direct d -> d.runDir().resolve("api.sock");
            case Jailed j -> j.layout().apiSocketOnHost();
        };
    }

    default Path consoleLog() {
        return runDir().resolve("console.log");
    }

    default Path stderrLog() {
        return runDir().resolve("vmm.log");
    }

    default Path logForVmm() {
        return own("firecracker.log");
    }

    default Path logOnHost() {
        return onHost(logForVmm());
    }

    default Path metricsForVmm() {
        return own("metrics.json");
    }

    default Path metricsOnHost() {
        return onHost(metricsForVmm());
    }

    default Path vsockForVmm() {
        return own("v.sock");
    }

    default Path vsockOnHost() {
        return onHost(vsockForVmm());
    }

    default Path kernelForVmm(VmSpec spec) {
        return switch (this) {
            case Direct d -> spec.kernel();
            case Jailed j -> j.layout().kernelInJail();
        };
    }

    default Optional<Path> initrdForVmm(VmSpec spec) {
        return switch (this) {
            case Direct d -> spec.initrd();
            case Jailed j -> spec.initrd().map(i -> j.layout().initrdInJail());
        };
    }

    default Path driveForVmm(DriveSpec drive) {
        return switch (this) {
            case Direct d -> drive.path();
            case Jailed j -> j.layout().driveInJail(drive.id());
        };
    }

    /** The jail's root as the host sees it, if jailed. */
    default Optional<Path> jailRoot() {
        return switch (this) {
            case Direct d -> Optional.empty();
            case Jailed j -> Optional.of(j.layout().root());
        };
    }

    /** The jail directory kiln removes with the VM, if jailed. */
    default Optional<Path> jailDir() {
        return switch (this) {
            case Direct d -> Optional.empty();
            case Jailed j -> Optional.of(j.layout().jailDir());
        };
    }
}
