package dev.kiln.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelLocatorTest {
    @TempDir
    Path root;

    private KernelLocator locator() {
        return new KernelLocator(new HostLayout(root.resolve("boot"), root.resolve("modules"), List.of(),
                Duration.ofSeconds(10), Clock.systemUTC()));
    }

    private void kernelWithModules(String version, boolean withModules) throws IOException {
        Files.createDirectories(root.resolve("boot"));
        Files.writeString(root.resolve("boot/vmlinuz-" + version), "not a bzImage");
        if (withModules) {
            Path dir = Files.createDirectories(root.resolve("modules").resolve(version));
            StringBuilder dep = new StringBuilder();
            for (String name : GuestLayout.MODULES) {
                dep.append("kernel/").append(name).append(".ko:\n");
                Files.createDirectories(dir.resolve("kernel"));
                Files.writeString(dir.resolve("kernel/" + name + ".ko"), name);
            }
            Files.writeString(dir.resolve("modules.dep"), dep);
        }
    }

    @Test
    void picksTheNewestKernelThatHasModules() throws IOException {
        kernelWithModules("6.1.0-9-amd64", true);
        kernelWithModules("6.1.0-10-amd64", true);
        kernelWithModules("6.1.0-11-amd64", false);

        ResolvedKernel kernel = locator().resolve(GuestImageOptions.defaults());

        assertThat(kernel.version()).isEqualTo("6.1.0-10-amd64");
        assertThat(kernel.kernel()).isEqualTo(root.resolve("boot/vmlinuz-6.1.0-10-amd64"));
        assertThat(kernel.modules()).hasSize(GuestLayout.MODULES.size());
    }

    @Test
    void noKernelAtAllIsKernelNotFoundWithAnInstallHint() {
        assertThatThrownBy(() -> locator().resolve(GuestImageOptions.defaults()))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.KERNEL_NOT_FOUND);
                    assertThat(e.hint()).contains("apt-get install linux-image-amd64");
                });
    }

    @Test
    void kernelWithoutItsModulesIsModulesNotFound() throws IOException {
        kernelWithModules("6.1.0-11-amd64", false);

        assertThatThrownBy(() -> locator().resolve(
                GuestImageOptions.defaults().withKernel(root.resolve("boot/vmlinuz-6.1.0-11-amd64"))))
                .isInstanceOfSatisfying(GuestException.class, e -> {
                    assertThat(e.code()).isEqualTo(GuestError.MODULES_NOT_FOUND);
                    assertThat(e.hint()).contains("linux-image-6.1.0-11-amd64");
                });
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(KernelLocator.compareVersions("6.1.0-10-amd64", "6.1.0-9-amd64")).isPositive();
        assertThat(KernelLocator.compareVersions("6.10.0-1-amd64", "6.9.0-1-amd64")).isPositive();
        assertThat(KernelLocator.compareVersions("6.1.0-1-amd64", "6.1.0-1-amd64")).isZero();
        assertThat(KernelLocator.compareVersions("6.1.0-1-amd64", "6.1.0-1-cloud-amd64")).isNegative();
    }

    @Test
    void diskNamesFollowLinux() {
        assertThat(GuestProtocol.diskName(0)).isEqualTo("vda");
        assertThat(GuestProtocol.diskName(1)).isEqualTo("vdb");
        assertThat(GuestProtocol.diskName(25)).isEqualTo("vdz");
        assertThat(GuestProtocol.diskName(26)).isEqualTo("vdaa");
        assertThat(GuestProtocol.diskName(27)).isEqualTo("vdab");
        assertThat(GuestProtocol.mountPoint(2)).isEqualTo("/mnt/vdc");
    }
}
