package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.DriverSelection.HostFacts;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Finding;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Status;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every branch of the driver choice, each with the reason it gives. */
class DriverSelectionTest {
    private static final Path FC = Path.of("/usr/local/bin/firecracker");
    private static final AcceleratorChoice KVM =
            new AcceleratorChoice(Accelerator.KVM, "a probe guest booted under KVM in 80 ms", Instant.EPOCH);
    private static final AcceleratorChoice NO_KVM = new AcceleratorChoice(Accelerator.TCG,
            "a probe guest under KVM did not boot within 20 s (a nested KVM that cannot run a standard guest)",
            Instant.EPOCH);
    private static final Finding FC_OK = new Finding("firecracker", Status.OK, FC + " (Firecracker v1.16.1)");
    private static final Finding FC_MISSING = new Finding("firecracker", Status.MISSING, "no executable 'firecracker'");
    private static final Finding JAILER_OK = new Finding("jailer", Status.OK, "/usr/local/bin/jailer");
    private static final Finding JAILER_MISSING = new Finding("jailer", Status.MISSING, "no executable 'jailer'");
    private static final Finding BZIMAGE = new Finding("guest kernel", Status.MISSING,
            "/boot/vmlinuz is a bzImage where Firecracker needs an uncompressed vmlinux");

    private static HostFacts facts(Optional<Path> fc, AcceleratorChoice kvm, Finding... findings) {
        return new HostFacts(fc, List.of(findings), kvm);
    }

    @Test
    void autoPicksFirecrackerWhereItsBinaryIsAndKvmRunsAGuest() {
        DriverChoice c = DriverSelection.choose(DriverRequest.AUTO, facts(Optional.of(FC), KVM, FC_OK, JAILER_OK));

        assertThat(c).isInstanceOf(DriverChoice.Firecracker.class);
        assertThat(c.acceleratorName()).isEqualTo("kvm");
        assertThat(c.describe()).isEqualTo("firecracker (kvm): /usr/local/bin/firecracker found, jailer"
                + " /usr/local/bin/jailer, and a probe guest booted under KVM (a probe guest booted under KVM in 80 ms)");
    }

    @Test
    void aMissingJailerIsSaidButDoesNotBlock() {
        DriverChoice c = DriverSelection.choose(DriverRequest.AUTO, facts(Optional.of(FC), KVM, FC_OK, JAILER_MISSING));

        assertThat(c).isInstanceOf(DriverChoice.Firecracker.class);
        assertThat(c.reason()).contains("no jailer (VMs run unjailed)");
    }

    @Test
    void autoFallsBackToQemuWithKvmWithoutTheBinary() {
        DriverChoice c = DriverSelection.choose(DriverRequest.AUTO, facts(Optional.empty(), KVM, FC_MISSING));

        assertThat(c).isEqualTo(new DriverChoice.Qemu(Accelerator.KVM, "Firecracker is not used: no firecracker binary"
                + " was found. QEMU with KVM: a probe guest booted under KVM in 80 ms"));
    }

    @Test
    void autoFallsBackToQemuWithTcgWhenKvmCannotRunAGuest() {
        DriverChoice c = DriverSelection.choose(DriverRequest.AUTO, facts(Optional.of(FC), NO_KVM, FC_OK));

        assertThat(c).isInstanceOfSatisfying(DriverChoice.Qemu.class,
                q -> assertThat(q.accelerator()).isEqualTo(Accelerator.TCG));
        assertThat(c.describe()).startsWith("qemu (tcg): Firecracker is not used: KVM cannot run a guest (a probe guest"
                + " under KVM did not boot").contains("QEMU with TCG (software emulation, slow)");
    }

    @Test
    void autoFallsBackToQemuWhenTheHostCheckFindsSomethingElseMissing() {
        DriverChoice c = DriverSelection.choose(DriverRequest.AUTO, facts(Optional.of(FC), KVM, FC_OK, BZIMAGE));

        assertThat(c).isInstanceOf(DriverChoice.Qemu.class);
        assertThat(c.reason()).contains("guest kernel: /boot/vmlinuz is a bzImage");
    }

    @Test
    void qemuAsForUsesWhateverAcceleratorTheProbeFound() {
        assertThat(DriverSelection.choose(DriverRequest.QEMU, facts(Optional.of(FC), KVM, FC_OK)))
                .isEqualTo(new DriverChoice.Qemu(Accelerator.KVM, "asked for qemu; with KVM: a probe guest booted"
                        + " under KVM in 80 ms"));
        assertThat(DriverSelection.choose(DriverRequest.QEMU, facts(Optional.empty(), NO_KVM)).acceleratorName())
                .isEqualTo("tcg");
    }

    @Test
    void firecrackerAskedForOnAHostThatCanRunIt() {
        DriverChoice c = DriverSelection.choose(DriverRequest.FIRECRACKER, facts(Optional.of(FC), KVM, FC_OK));

        assertThat(c).isInstanceOf(DriverChoice.Firecracker.class);
        assertThat(c.reason()).startsWith("asked for firecracker; /usr/local/bin/firecracker found");
    }

    @Test
    void firecrackerAskedForOnAHostThatCannotRunItSaysWhatIsMissing() {
        assertThatThrownBy(() -> DriverSelection.choose(DriverRequest.FIRECRACKER,
                facts(Optional.empty(), NO_KVM, FC_MISSING, BZIMAGE)))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.VMM_NOT_INSTALLED);
                    assertThat(e.getMessage()).contains("Firecracker was asked for but cannot run on this host",
                            "no firecracker binary was found", "KVM cannot run a guest", "did not boot within 20 s",
                            "guest kernel: /boot/vmlinuz is a bzImage");
                    assertThat(e.hint()).contains("--driver auto");
                });
        assertThatThrownBy(() -> DriverSelection.choose(DriverRequest.FIRECRACKER, facts(Optional.of(FC), NO_KVM, FC_OK)))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).as("installed, but the host cannot run it").isEqualTo(VmmError.UNSUPPORTED);
                    assertThat(e.getMessage()).contains("KVM cannot run a guest").doesNotContain("no firecracker binary");
                });
    }

    @Test
    void theFakeIsTakenWhenAskedFor() {
        DriverChoice c = DriverSelection.choose(DriverRequest.FAKE, facts(Optional.empty(), NO_KVM));

        assertThat(c).isInstanceOf(DriverChoice.Fake.class);
        assertThat(c.describe()).startsWith("fake (none): asked for the fake driver");
    }

    @Test
    void requestsParseFromTheirNames() {
        assertThat(DriverRequest.parse(" Firecracker ")).isEqualTo(DriverRequest.FIRECRACKER);
        assertThat(DriverRequest.parse("auto")).isEqualTo(DriverRequest.AUTO);
        assertThatThrownBy(() -> DriverRequest.parse("xen")).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.hint()).contains("[auto, qemu, firecracker, fake]"));
    }
}
