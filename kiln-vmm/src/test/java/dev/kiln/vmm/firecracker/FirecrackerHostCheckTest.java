package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Finding;
import dev.kiln.vmm.firecracker.FirecrackerHostCheck.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host check names each missing piece: binaries, /dev/kvm, the KVM verdict, the kernel and its options. */
class FirecrackerHostCheckTest {
    static final Path DEBIAN_CONFIG = Path.of("/boot/config-6.1.0-56-amd64");
    static final Path DEBIAN_BZIMAGE = Path.of("/boot/vmlinuz-6.1.0-56-amd64");

    @TempDir
    Path tmp;

    static final List<String> GOOD_CONFIG = List.of(
            "# Automatically generated file; DO NOT EDIT.",
            "CONFIG_VIRTIO_MMIO=y",
            "CONFIG_VIRTIO_BLK=y",
            "CONFIG_VIRTIO_NET=y",
            "CONFIG_VIRTIO_VSOCKETS=y",
            "CONFIG_SERIAL_8250_CONSOLE=y",
            "CONFIG_PRINTK=y",
            "CONFIG_KVM_GUEST=y",
            "CONFIG_EXT4_FS=y",
            "CONFIG_ACPI=y",
            "CONFIG_PCI=y",
            "# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is not set");

    Path executable(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path f = Files.writeString(dir.resolve(name), "#!/bin/sh\necho " + name + " v1.16.1\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f;
    }

    Path config(List<String> lines) throws IOException {
        return Files.write(tmp.resolve("config-" + lines.hashCode()), lines);
    }

    static List<String> replace(List<String> lines, String from, String to) {
        List<String> out = new ArrayList<>(lines);
        out.replaceAll(l -> l.equals(from) ? to : l);
        return out;
    }

    static Map<String, Finding> byName(List<Finding> findings) {
        return findings.stream().collect(Collectors.toMap(Finding::name, Function.identity()));
    }

    @Test
    void aCompleteHostIsReady() throws IOException {
        Path bin = tmp.resolve("bin");
        executable(bin, "firecracker");
        executable(bin, "jailer");
        Path kvm = Files.createFile(tmp.resolve("kvm"));
        Path vmlinux = Files.write(tmp.resolve("vmlinux"), KernelImageKindTest.elfHeader());

        List<Finding> findings = FirecrackerHostCheck.builder()
                .searchPath(List.of(tmp.resolve("empty"), bin))
                .devKvm(kvm)
                .kvm(true, "KVM_CREATE_VM worked")
                .guestKernel(vmlinux)
                .kernelConfig(config(GOOD_CONFIG))
                .versionProbe(b -> Optional.of("Firecracker v1.16.1"))
                .build().run();

        assertThat(findings).allSatisfy(f -> assertThat(f.status()).as(f.toString()).isEqualTo(Status.OK));
        assertThat(FirecrackerHostCheck.ready(findings)).isTrue();
        Map<String, Finding> named = byName(findings);
        assertThat(named.get("firecracker").detail()).contains(bin.resolve("firecracker").toString(), "v1.16.1");
        assertThat(named.get("jailer").detail()).isEqualTo(bin.resolve("jailer").toString());
        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").detail()).contains("not needed");
    }

    @Test
    void anEmptyHostSaysWhatIsMissing() {
        List<Finding> findings = FirecrackerHostCheck.builder()
                .searchPath(List.of(tmp))
                .devKvm(tmp.resolve("no-kvm"))
                .kvm(false, "/dev/kvm: permission denied")
                .build().run();

        Map<String, Finding> named = byName(findings);
        assertThat(named.get("firecracker").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("firecracker").detail()).contains("no executable 'firecracker'");
        assertThat(named.get("jailer").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("/dev/kvm").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("kvm")).isEqualTo(new Finding("kvm", Status.MISSING, "/dev/kvm: permission denied"));
        assertThat(named.get("guest kernel").status()).isEqualTo(Status.WARN);
        assertThat(named.get("kernel config").status()).isEqualTo(Status.WARN);
        assertThat(FirecrackerHostCheck.ready(findings)).isFalse();
    }

    @Test
    void aNonExecutableFileIsNotABinaryAndASilentBinaryIsAWarning() throws IOException {
        Path bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        Files.writeString(bin.resolve("jailer"), "not executable");
        executable(bin, "firecracker");

        Map<String, Finding> named = byName(FirecrackerHostCheck.builder().searchPath(List.of(bin)).build().run());

        assertThat(named.get("jailer").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("firecracker").status()).isEqualTo(Status.WARN);
        assertThat(named.get("firecracker").detail()).contains("--version' gave no answer");
    }

    @Test
    void theRealVersionProbeRunsTheBinary() throws IOException {
        Path bin = tmp.resolve("bin");
        executable(bin, "firecracker");

        Map<String, Finding> named = byName(FirecrackerHostCheck.forThisHost().searchPath(List.of(bin)).build().run());

        assertThat(named.get("firecracker").detail()).endsWith("(firecracker v1.16.1)");
    }

    @Test
    void modulesAndUnsetOptionsAreMissingByName() throws IOException {
        List<String> lines = replace(GOOD_CONFIG, "CONFIG_VIRTIO_BLK=y", "CONFIG_VIRTIO_BLK=m");
        lines = replace(lines, "CONFIG_VIRTIO_VSOCKETS=y", "# CONFIG_VIRTIO_VSOCKETS is not set");
        lines.remove("CONFIG_EXT4_FS=y");

        Map<String, Finding> named = byName(FirecrackerHostCheck.kernelOptions(config(lines)));

        assertThat(named.get("CONFIG_VIRTIO_BLK").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("CONFIG_VIRTIO_BLK").detail()).startsWith("built as a module (=m)").contains("=y");
        assertThat(named.get("CONFIG_VIRTIO_VSOCKETS").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("CONFIG_VIRTIO_VSOCKETS").detail()).startsWith("not set");
        assertThat(named.get("CONFIG_EXT4_FS").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("CONFIG_VIRTIO_NET").status()).isEqualTo(Status.OK);
    }

    @Test
    void devicesMayComeThroughTheCommandLineInsteadOfAcpi() throws IOException {
        List<String> lines = replace(GOOD_CONFIG, "CONFIG_ACPI=y", "# CONFIG_ACPI is not set");
        lines = replace(lines, "# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is not set",
                "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y");

        Map<String, Finding> named = byName(FirecrackerHostCheck.kernelOptions(config(lines)));

        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").status()).isEqualTo(Status.OK);
        assertThat(named.get("CONFIG_ACPI").status()).isEqualTo(Status.WARN);
        assertThat(named.get("CONFIG_PCI").status()).isEqualTo(Status.OK);
    }

    @Test
    void withNeitherAcpiNorCommandLineDevicesEveryMissingOneIsNamed() throws IOException {
        List<String> lines = replace(GOOD_CONFIG, "CONFIG_PCI=y", "# CONFIG_PCI is not set");

        Map<String, Finding> named = byName(FirecrackerHostCheck.kernelOptions(config(lines)));

        assertThat(named.get("CONFIG_ACPI").status()).isEqualTo(Status.OK);
        assertThat(named.get("CONFIG_PCI").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").detail()).contains("has neither");
    }

    @Test
    void anUnreadableConfigIsOneMissingFinding() {
        assertThat(FirecrackerHostCheck.kernelOptions(tmp.resolve("no-config")))
                .singleElement()
                .satisfies(f -> {
                    assertThat(f.name()).isEqualTo("kernel config");
                    assertThat(f.status()).isEqualTo(Status.MISSING);
                });
    }

    @Test
    void aBzImageKernelIsMissingAVmlinux() throws IOException {
        Path bz = Files.write(tmp.resolve("bzImage"), KernelImageKindTest.bzImageHeader());

        Map<String, Finding> named = byName(FirecrackerHostCheck.builder().guestKernel(bz).build().run());

        assertThat(named.get("guest kernel").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("guest kernel").detail()).contains("bzImage", "extract-vmlinux");
        assertThat(byName(FirecrackerHostCheck.builder().guestKernel(tmp.resolve("none")).build().run())
                .get("guest kernel").detail()).contains("does not exist");
    }

    /**
     * This host's Debian 6.1 kernel: a bzImage, and its config builds virtio-mmio, virtio-blk and ext4 as modules.
     * It has no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, but with ACPI and PCI built in Firecracker does not need it.
     */
    @Test
    void debians61KernelIsNotAFirecrackerGuestKernel() {
        assumeTrue(Files.isReadable(DEBIAN_CONFIG) && Files.isReadable(DEBIAN_BZIMAGE), "not the Debian 6.1 host");

        Map<String, Finding> named = byName(FirecrackerHostCheck.builder()
                .guestKernel(DEBIAN_BZIMAGE).kernelConfig(DEBIAN_CONFIG).build().run());

        assertThat(named.get("guest kernel").status()).isEqualTo(Status.MISSING);
        assertThat(named.get("guest kernel").detail()).contains("is a bzImage");
        for (String option : List.of("CONFIG_VIRTIO_MMIO", "CONFIG_VIRTIO_BLK", "CONFIG_VIRTIO_NET",
                "CONFIG_VIRTIO_VSOCKETS", "CONFIG_EXT4_FS")) {
            assertThat(named.get(option).status()).as(option).isEqualTo(Status.MISSING);
            assertThat(named.get(option).detail()).as(option).startsWith("built as a module (=m)");
        }
        assertThat(named.get("CONFIG_SERIAL_8250_CONSOLE").status()).isEqualTo(Status.OK);
        assertThat(named.get("CONFIG_KVM_GUEST").status()).isEqualTo(Status.OK);
        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").status()).isEqualTo(Status.OK);
        assertThat(named.get("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES").detail())
                .startsWith("not set, not needed: devices come through ACPI");
    }
}
