package dev.kiln.vmm;

import dev.kiln.vmm.firecracker.FirecrackerHostCheck;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Finding;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which driver runs VMs on this host, as a pure function of what the host's probes found and what the user asked
 * for. {@code auto}: Firecracker when its binary is there, a probe guest boots under KVM and the host check finds
 * nothing else missing; else QEMU with KVM when the probe guest booted; else QEMU with TCG. An explicit
 * {@code firecracker} on a host that cannot run it is an error that says what is missing. The jailer is optional: a
 * missing one is mentioned, never a blocker.
 */
public final class DriverSelection {
    /** Findings the selection reports in its own words (the binary, KVM) or that do not block Firecracker. */
    private static final Set<String> OWN_WORDS = Set.of("firecracker", "jailer", "kvm", "/dev/kvm");

    /**
     * What the probes found.
     *
     * @param firecrackerBinary   the {@code firecracker} binary, if one was found
     * @param firecrackerFindings {@link FirecrackerHostCheck#run()}'s findings
     * @param kvmProbe            the KVM probe's verdict (a probe guest booted under KVM, or why not)
     */
    public record HostFacts(Optional<Path> firecrackerBinary, List<Finding> firecrackerFindings,
            AcceleratorChoice kvmProbe) {
        public HostFacts {
            Objects.requireNonNull(firecrackerBinary, "firecrackerBinary");
            firecrackerFindings = List.copyOf(firecrackerFindings);
            Objects.requireNonNull(kvmProbe, "kvmProbe");
        }
    }

    private DriverSelection() {}

    public static DriverChoice choose(DriverRequest request, HostFacts facts) {
        List<String> blockers = firecrackerBlockers(facts);
        return switch (request) {
            case FAKE -> new DriverChoice.Fake("asked for the fake driver: no VMM runs, guests are simulated");
            case QEMU -> new DriverChoice.Qemu(facts.kvmProbe().accelerator(), "asked for qemu; " + accelerator(facts));
            case FIRECRACKER -> {
                if (!blockers.isEmpty()) {
                    throw new VmmException(facts.firecrackerBinary().isEmpty() ? VmmError.VMM_NOT_INSTALLED
                            : VmmError.UNSUPPORTED, "Firecracker was asked for but cannot run on this host: "
                            + String.join("; ", blockers), "fix what is listed (see './kiln doctor'), or use"
                            + " '--driver auto' to fall back to QEMU");
                }
                yield new DriverChoice.Firecracker("asked for firecracker; " + firecrackerReady(facts));
            }
            case AUTO -> blockers.isEmpty()
                    ? new DriverChoice.Firecracker(firecrackerReady(facts))
                    : new DriverChoice.Qemu(facts.kvmProbe().accelerator(), "Firecracker is not used: "
                            + String.join("; ", blockers) + ". QEMU " + accelerator(facts));
        };
    }

    /** Everything that keeps Firecracker from running here; empty when it can. */
    static List<String> firecrackerBlockers(HostFacts facts) {
        List<String> out = new ArrayList<>();
        if (facts.firecrackerBinary().isEmpty()) {
            out.add("no firecracker binary was found");
        }
        if (facts.kvmProbe().accelerator() != Accelerator.KVM) {
            out.add("KVM cannot run a guest (" + facts.kvmProbe().reason() + ")");
        }
        for (Finding f : facts.firecrackerFindings()) {
            if (f.status() == Status.MISSING && !OWN_WORDS.contains(f.name())) {
                out.add(f.name() + ": " + f.detail());
            }
        }
        return out;
    }

    private static String firecrackerReady(HostFacts facts) {
        String jailer = facts.firecrackerFindings().stream()
                .filter(f -> f.name().equals("jailer"))
                .findFirst()
                .map(f -> f.status() == Status.OK ? ", jailer " + f.detail() : ", no jailer (VMs run unjailed)")
                .orElse("");
        return facts.firecrackerBinary().orElseThrow() + " found" + jailer + ", and a probe guest booted under KVM ("
                + facts.kvmProbe().reason() + ")";
    }

    private static String accelerator(HostFacts facts) {
        AcceleratorChoice kvm = facts.kvmProbe();
        return kvm.accelerator() == Accelerator.KVM ? "with KVM: " + kvm.reason()
                : "with TCG (software emulation, slow): " + kvm.reason();
    }
}
