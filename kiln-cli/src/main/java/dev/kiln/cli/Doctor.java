package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.guest.GuestException;
import dev.kiln.guest.GuestImage;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.guest.ProgressListener;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.qemu.AcceleratorProbe;
import dev.kiln.vmm.qemu.QemuBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checks whether this host can run kiln VMs: each check is independent and reports ok, warn (works, but
 * slower or with less) or fail (kiln cannot work until it is fixed), with the reason and what to do.
 */
final class Doctor {
    enum Status {
        OK, WARN, FAIL;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    record Check(String name, Status status, String detail) {
    }

    record Accelerator(String name, String reason) {
    }

    /** Every check, the accelerator kiln would use, and the VMM driver ("qemu", or "none" without QEMU). */
    record Report(List<Check> checks, Accelerator accelerator, String driver) {
        boolean failed() {
            return checks.stream().anyMatch(c -> c.status() == Status.FAIL);
        }

        ObjectNode toJson(JsonNodeFactory f) {
            ObjectNode root = f.objectNode();
            var array = root.putArray("checks");
            checks.forEach(c -> array.addObject().put("name", c.name()).put("status", c.status().label())
                    .put("detail", c.detail()));
            root.putObject("accelerator").put("name", accelerator.name()).put("reason", accelerator.reason());
            root.put("driver", driver);
            return root;
        }

        String toText() {
            int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(0);
            StringBuilder out = new StringBuilder();
            for (Check c : checks) {
                out.append(String.format(Locale.ROOT, "%-5s %-" + width + "s   %s%n", c.status().label(), c.name(), c.detail()));
            }
            long warns = checks.stream().filter(c -> c.status() == Status.WARN).count();
            long fails = checks.stream().filter(c -> c.status() == Status.FAIL).count();
            out.append(String.format(Locale.ROOT, "%naccelerator: %s; driver: %s%n", accelerator.name(), driver));
            out.append(fails > 0 ? fails + " of " + checks.size() + " checks failed" : "all " + checks.size()
                    + " checks passed").append(warns > 0 ? " (" + warns + " with warnings)" : "").append('\n');
            return out.toString();
        }
    }

    private static final Path TUN = Path.of("/dev/net/tun");
    private static final Path KVM = Path.of("/dev/kvm");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(15);

    /** The daemon's state directory; guest images are cached in its {@code cache/}, where the daemon looks. */
    private final Path stateDir;
    private final String pathVariable;
    private final Clock clock;
    private final DaemonClient daemon;

    Doctor(Path stateDir, String pathVariable, Clock clock, DaemonClient daemon) {
        this.stateDir = stateDir;
        this.pathVariable = pathVariable;
        this.clock = clock;
        this.daemon = daemon;
    }

    /** Runs every check; a guest image build and the KVM probe report their steps to {@code progress}. */
    Report run(ProgressListener progress) {
        List<Check> checks = new ArrayList<>();
        checks.add(root());
        checks.add(Files.exists(TUN) ? ok("tun", TUN + " is present")
                : fail("tun", TUN + " is missing; load the module with 'modprobe tun'"));
        Optional<Path> qemu = QemuBinary.find(Optional.empty(), pathVariable);
        checks.add(qemu.map(q -> ok("qemu", q + " (" + QemuBinary.version(q).orElse("version unknown") + ")"))
                .orElseGet(() -> fail("qemu", QemuBinary.NAME + " not found; install it: apt-get install qemu-system-x86")));
        Optional<Path> kernel = newestKernel();
        checks.add(kernel.map(k -> ok("kernel", k.toString()))
                .orElseGet(() -> fail("kernel", "no /boot/vmlinuz-*; install one: apt-get install linux-image-amd64")));
        Path busybox = GuestImageOptions.DEFAULT_BUSYBOX;
        checks.add(Files.isExecutable(busybox) ? ok("busybox", busybox.toString())
                : fail("busybox", busybox + " not found; install it: apt-get install busybox-static"));
        checks.add(tool("mke2fs", "e2fsprogs"));
        checks.add(tool("ip", "iproute2"));
        checks.add(tool("tc", "iproute2"));
        checks.add(tool("nft", "nftables"));

        Optional<GuestImage> image = Optional.empty();
        boolean canBuild = kernel.isPresent() && Files.isExecutable(busybox) && Tools.find("mke2fs", pathVariable).isPresent();
        if (!canBuild) {
            checks.add(fail("guest-image", "not built: it needs a kernel, busybox and mke2fs (see above)"));
        } else {
            try {
                GuestImage built = GuestImageBuilder.create(stateDir.resolve("cache")).ensure(GuestImageOptions.defaults(), progress);
                image = Optional.of(built);
                checks.add(ok("guest-image", built.digest().substring(0, Math.min(12, built.digest().length()))
                        + " (kernel " + built.kernelVersion() + ") in " + built.directory()));
            } catch (GuestException e) {
                checks.add(fail("guest-image", e.getMessage() + "; " + e.hint()));
            }
        }

        Accelerator accelerator;
        if (qemu.isPresent() && image.isPresent()) {
            progress.step("probing KVM: booting a test guest under it (up to " + PROBE_TIMEOUT.toSeconds() + " s)");
            AcceleratorChoice choice = new AcceleratorProbe(qemu.get(), KVM, clock)
                    .probe(image.get().kernel(), image.get().initrd(), GuestProtocol.PROBE_MARKER, PROBE_TIMEOUT);
            accelerator = new Accelerator(choice.accelerator().qemuName(), choice.reason());
            checks.add(new Check("accelerator", switch (choice.accelerator()) {
                case KVM -> Status.OK;
                case TCG -> Status.WARN;
            }, accelerator.name() + ": " + choice.reason()));
        } else {
            accelerator = new Accelerator("unknown", "not probed: the probe needs QEMU and the guest image");
            checks.add(fail("accelerator", accelerator.reason()));
        }

        checks.add(firecracker(accelerator, kernel, image));
        checks.add(daemon());
        return new Report(checks, accelerator, qemu.isPresent() ? "qemu" : "none");
    }

    private Check root() {
        try {
            Optional<String> uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[2]).findFirst();
            if (uid.isEmpty()) return warn("root", "cannot tell the user id from /proc/self/status");
            return uid.get().equals("0") ? ok("root", "running as root")
                    : fail("root", "running as uid " + uid.get() + "; kiln needs root for taps, bridges and "
                            + "/dev/kvm: run it with sudo");
        } catch (IOException e) {
            return warn("root", "cannot read /proc/self/status: " + e.getMessage());
        }
    }

    private Check tool(String name, String debianPackage) {
        return Tools.find(name, pathVariable).map(p -> ok(name, p.toString()))
                .orElseGet(() -> fail(name, name + " not found; install it: apt-get install " + debianPackage));
    }

    private static Optional<Path> newestKernel() {
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            return boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * What this host lacks for Firecracker, from {@link FirecrackerHostCheck}: binaries, a KVM that really runs a
     * guest (kiln's probe verdict), and a guest kernel it can boot (an ELF vmlinux with the options it needs).
     * A warning, not a failure: without Firecracker kiln uses QEMU.
     */
    private Check firecracker(Accelerator accelerator, Optional<Path> kernel, Optional<GuestImage> image) {
        FirecrackerHostCheck.Builder check = FirecrackerHostCheck.forThisHost()
                .kvm("kvm".equals(accelerator.name()), accelerator.reason());
        kernel.ifPresent(check::guestKernel);
        image.map(i -> Path.of("/boot", "config-" + i.kernelVersion())).filter(Files::isRegularFile)
                .ifPresent(check::kernelConfig);
        List<FirecrackerHostCheck.Finding> findings = check.build().run();
        List<String> missing = findings.stream()
                .filter(f -> f.status() == FirecrackerHostCheck.Status.MISSING)
                .map(f -> f.name() + " (" + f.detail() + ")").toList();
        if (missing.isEmpty()) {
            return ok("firecracker", "this host has what Firecracker needs; kiln's Firecracker driver is not built "
                    + "yet, so the QEMU driver is used");
        }
        return warn("firecracker", "not usable here, so the QEMU driver is used; missing: " + String.join("; ", missing));
    }

    private Check daemon() {
        try {
            Health h = daemon.health();
            return ok("daemon", "running on " + daemon.socket() + " (pid " + h.pid() + ", version " + h.version()
                    + ", driver " + h.driver() + ", accelerator " + h.accelerator() + ", " + h.vms() + " VMs)");
        } catch (CliException e) {
            return warn("daemon", e.getMessage() + e.hint().map(h -> "; " + h).orElse(""));
        }
    }

    private static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail);
    }

    private static Check warn(String name, String detail) {
        return new Check(name, Status.WARN, detail);
    }

    private static Check fail(String name, String detail) {
        return new Check(name, Status.FAIL, detail);
    }
}
