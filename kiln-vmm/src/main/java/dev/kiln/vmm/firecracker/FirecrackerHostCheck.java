package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Says exactly what this host lacks for Firecracker, as a list of findings: the {@code firecracker} and
 * {@code jailer} binaries on the search path, {@code /dev/kvm}, kiln's own KVM verdict, and the guest kernel: whether
 * it is a vmlinux and whether its config builds in ({@code =y}, not {@code =m}) what Firecracker's x86_64 guests need.
 *
 * <p>The options come from Firecracker's {@code docs/kernel-policy.md} ("Guest kernel configuration items" and
 * "Minimal boot requirements") and {@code docs/rootfs-and-kernel-setup.md} (the root file system must be compiled
 * in). Devices reach an x86_64 guest either through ACPI ({@code CONFIG_ACPI} and {@code CONFIG_PCI}) or, the way
 * kernel-policy.md calls deprecated, through the kernel command line ({@code CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES}); one
 * of the two suffices.
 *
 * <p>Every input is injectable; {@link #forThisHost()} fills them from this host.
 */
public final class FirecrackerHostCheck {

    /** How bad a finding is: {@code MISSING} stops Firecracker VMs, {@code WARN} is worth knowing. */
    public enum Status {
        OK,
        MISSING,
        WARN
    }

    /** One thing checked, named so a reader can act on it (a binary, a device, a kernel option). */
    public record Finding(String name, Status status, String detail) {
        public Finding {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** Asks a binary for its version; the real probe runs {@code <binary> --version}. */
    @FunctionalInterface
    public interface VersionProbe {
        Optional<String> version(Path binary);
    }

    /** Options that must be built in, each with what it is for (kernel-policy.md and rootfs-and-kernel-setup.md). */
    static final Map<String, String> REQUIRED_OPTIONS = orderedOf(
            "CONFIG_VIRTIO_MMIO", "the virtio MMIO transport Firecracker attaches its devices with",
            "CONFIG_VIRTIO_BLK", "virtio block devices, including the root drive",
            "CONFIG_VIRTIO_NET", "virtio network devices",
            "CONFIG_VIRTIO_VSOCKETS", "the virtio vsock device",
            "CONFIG_SERIAL_8250_CONSOLE", "the serial console kiln reads boot output from",
            "CONFIG_PRINTK", "kernel messages on the serial console",
            "CONFIG_KVM_GUEST", "KVM clock timekeeping, a minimal x86_64 boot requirement",
            "CONFIG_EXT4_FS", "mounting kiln's ext4 root file system without modules");
    static final String CMDLINE_DEVICES = "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES";
    static final String ACPI = "CONFIG_ACPI";
    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(5);
    static final String PCI = "CONFIG_PCI";

    private final List<Path> searchPath;
    private final Path devKvm;
    private final Optional<KvmVerdict> kvm;
    private final Optional<Path> guestKernel;
    private final Optional<Path> kernelConfig;
    private final VersionProbe versionProbe;

    private record KvmVerdict(boolean usable, String reason) {}

    private FirecrackerHostCheck(Builder b) {
        this.searchPath = List.copyOf(b.searchPath);
        this.devKvm = b.devKvm;
        this.kvm = b.kvm;
        this.guestKernel = b.guestKernel;
        this.kernelConfig = b.kernelConfig;
        this.versionProbe = b.versionProbe;
    }

    /** A check with nothing filled in: empty search path, {@code /dev/kvm}, no kernel, versions never asked. */
    public static Builder builder() {
        return new Builder();
    }

    /** A check of this host: {@code PATH} from the environment, {@code /dev/kvm}, versions asked by running them. */
    public static Builder forThisHost() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        List<Path> dirs = new ArrayList<>();
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                dirs.add(Path.of(dir));
            }
        }
        return builder().searchPath(dirs).versionProbe(FirecrackerHostCheck::runVersion);
    }

    /** True when no finding is {@link Status#MISSING}. */
    public static boolean ready(List<Finding> findings) {
        return findings.stream().noneMatch(f -> f.status() == Status.MISSING);
    }

    /** Runs every check, in a fixed order. */
    public List<Finding> run() {
        List<Finding> out = new ArrayList<>();
        out.add(binary("firecracker", true));
        out.add(binary("jailer", false));
        out.add(Files.exists(devKvm)
                ? new Finding("/dev/kvm", Status.OK, devKvm + " exists")
                : new Finding("/dev/kvm", Status.MISSING, devKvm + " does not exist: load kvm_intel or kvm_amd,"
                        + " or enable nested virtualisation"));
        out.add(kvm.map(v -> new Finding("kvm", v.usable() ? Status.OK : Status.MISSING, v.reason()))
                .orElse(new Finding("kvm", Status.WARN, "KVM was not probed")));
        out.add(guestKernel.map(FirecrackerHostCheck::kernel)
                .orElse(new Finding("guest kernel", Status.WARN, "no guest kernel given; not checked")));
        kernelConfig.ifPresentOrElse(cfg -> out.addAll(kernelOptions(cfg)), () -> out.add(
                new Finding("kernel config", Status.WARN, "no guest kernel config given; options not checked")));
        return List.copyOf(out);
    }

    private Finding binary(String name, boolean askVersion) {
        Optional<Path> found = which(name);
        if (found.isEmpty()) {
            return new Finding(name, Status.MISSING, "no executable '" + name + "' on the search path ("
                    + searchPath.size() + " directories); install Firecracker's release binaries, e.g. into"
                    + " /usr/local/bin");
        }
        Path bin = found.get();
        if (!askVersion) {
            return new Finding(name, Status.OK, bin.toString());
        }
        return versionProbe.version(bin)
                .map(v -> new Finding(name, Status.OK, bin + " (" + v + ")"))
                .orElse(new Finding(name, Status.WARN, bin + " found, but '" + bin + " --version' gave no answer"));
    }

    private Optional<Path> which(String name) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static Finding kernel(Path kernel) {
        try {
            return switch (KernelImageKind.of(kernel)) {
                case ELF_VMLINUX -> new Finding("guest kernel", Status.OK, kernel + " is an ELF vmlinux");
                case BZIMAGE -> new Finding("guest kernel", Status.MISSING, kernel
                        + " is a bzImage where Firecracker needs an uncompressed vmlinux: "
                        + KernelImageKind.VMLINUX_HINT);
                case UNKNOWN -> new Finding("guest kernel", Status.MISSING, kernel
                        + " is neither an ELF vmlinux nor a bzImage: " + KernelImageKind.VMLINUX_HINT);
            };
        } catch (VmmException e) {
            return new Finding("guest kernel", Status.MISSING, e.getMessage());
        }
    }

    /** Checks a kernel {@code .config} (e.g. {@code /boot/config-<version>}) against the options above. */
    static List<Finding> kernelOptions(Path config) {
        Map<String, String> values;
        try {
            values = parseConfig(Files.readAllLines(config, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return List.of(new Finding("kernel config", Status.MISSING, "cannot read kernel config " + config + ": "
                    + e.getMessage()));
        }
        List<Finding> out = new ArrayList<>();
        REQUIRED_OPTIONS.forEach((option, purpose) -> out.add(builtIn(option, values, purpose)));
        out.addAll(deviceDiscovery(values));
        return out;
    }

    private static List<Finding> deviceDiscovery(Map<String, String> values) {
        boolean acpi = "y".equals(values.get(ACPI)) && "y".equals(values.get(PCI));
        boolean cmdline = "y".equals(values.get(CMDLINE_DEVICES));
        List<Finding> out = new ArrayList<>();
        if (acpi) {
            out.add(ok(ACPI, "=y: Firecracker describes devices through ACPI"));
            out.add(ok(PCI, "=y: needed for ACPI initialisation in the guest"));
            out.add(ok(CMDLINE_DEVICES, cmdline ? "=y (also fine; the command-line way is deprecated)"
                    : describe(values.get(CMDLINE_DEVICES)) + ", not needed: devices come through ACPI"));
        } else if (cmdline) {
            out.add(ok(CMDLINE_DEVICES, "=y: devices come through the kernel command line"));
            for (String option : List.of(ACPI, PCI)) {
                out.add(new Finding(option, "y".equals(values.get(option)) ? Status.OK : Status.WARN,
                        describe(values.get(option)) + "; without CONFIG_ACPI=y and CONFIG_PCI=y devices come"
                                + " only through the command line, which Firecracker deprecates"));
            }
        } else {
            String why = "; Firecracker passes devices through ACPI (CONFIG_ACPI=y and CONFIG_PCI=y) or the kernel"
                    + " command line (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y), and this kernel has neither";
            for (String option : List.of(ACPI, PCI, CMDLINE_DEVICES)) {
                out.add("y".equals(values.get(option))
                        ? ok(option, "=y")
                        : new Finding(option, Status.MISSING, describe(values.get(option)) + why));
            }
        }
        return out;
    }

    private static Finding builtIn(String option, Map<String, String> values, String purpose) {
        String value = values.get(option);
        if ("y".equals(value)) {
            return ok(option, "=y: " + purpose);
        }
        return new Finding(option, Status.MISSING, describe(value) + "; Firecracker guests need it built in (=y) for "
                + purpose);
    }

    private static String describe(String value) {
        if (value == null || value.equals("n")) {
            return "not set";
        }
        if (value.equals("m")) {
            return "built as a module (=m)";
        }
        return "=" + value;
    }

    private static Finding ok(String option, String detail) {
        return new Finding(option, Status.OK, detail);
    }

    /** {@code CONFIG_X=v} lines to {@code v}; {@code # CONFIG_X is not set} to {@code n}; everything else ignored. */
    static Map<String, String> parseConfig(List<String> lines) {
        Map<String, String> out = new HashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("CONFIG_")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    out.put(line.substring(0, eq), line.substring(eq + 1));
                }
            } else if (line.startsWith("# CONFIG_") && line.endsWith(" is not set")) {
                out.put(line.substring(2, line.length() - " is not set".length()), "n");
            }
        }
        return out;
    }

    private static Optional<String> runVersion(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(VERSION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            String text;
            try (InputStream in = p.getInputStream()) {
                text = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            }
            return p.exitValue() == 0 ? text.lines().map(String::strip).filter(s -> !s.isEmpty()).findFirst()
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Map<String, String> orderedOf(String... keysAndValues) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Collects a check's inputs; every setter replaces the earlier value. */
    public static final class Builder {
        private List<Path> searchPath = List.of();
        private Path devKvm = Path.of("/dev/kvm");
        private Optional<KvmVerdict> kvm = Optional.empty();
        private Optional<Path> guestKernel = Optional.empty();
        private Optional<Path> kernelConfig = Optional.empty();
        private VersionProbe versionProbe = binary -> Optional.empty();

        private Builder() {}

        /** The directories searched for {@code firecracker} and {@code jailer}, in order. */
        public Builder searchPath(List<Path> dirs) {
            this.searchPath = List.copyOf(dirs);
            return this;
        }

        public Builder devKvm(Path path) {
            this.devKvm = Objects.requireNonNull(path, "devKvm");
            return this;
        }

        /** kiln's KVM probe's verdict, passed on as it is. */
        public Builder kvm(boolean usable, String reason) {
            this.kvm = Optional.of(new KvmVerdict(usable, Objects.requireNonNull(reason, "reason")));
            return this;
        }

        /** The kernel kiln would boot. */
        public Builder guestKernel(Path kernel) {
            this.guestKernel = Optional.of(kernel);
            return this;
        }

        /** The kernel's {@code .config}, e.g. {@code /boot/config-6.1.0-56-amd64}. */
        public Builder kernelConfig(Path config) {
            this.kernelConfig = Optional.of(config);
            return this;
        }

        public Builder versionProbe(VersionProbe probe) {
            this.versionProbe = Objects.requireNonNull(probe, "versionProbe");
            return this;
        }

        public FirecrackerHostCheck build() {
            return new FirecrackerHostCheck(this);
        }
    }
}
