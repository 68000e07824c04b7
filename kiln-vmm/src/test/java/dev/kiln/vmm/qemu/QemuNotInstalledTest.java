package dev.kiln.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without QEMU on the host a start says so, with what to install, and starts nothing. */
class QemuNotInstalledTest {
    @Test
    void startWithoutQemuSaysWhatToInstall(@TempDir Path tmp) throws Exception {
        Path kernel = Files.writeString(tmp.resolve("vmlinuz"), "not a kernel, never read");
        Path missing = tmp.resolve("no-such-dir").resolve(QemuBinary.NAME);
        QemuConfig config = QemuConfig.of(missing, new AcceleratorChoice(Accelerator.TCG, "test", Instant.now()));
        VmSpec spec = new VmSpec(VmId.random(), "noqemu", 1, ByteSize.parse("128M"), kernel, Optional.empty(), "",
                List.of(), List.of());
        Path runDir = tmp.resolve("run");
        try (VmmDriver driver = QemuDriver.create(config)) {
            assertThatThrownBy(() -> driver.start(spec, runDir))
                    .isInstanceOfSatisfying(VmmException.class, e -> {
                        assertThat(e.code()).isEqualTo(VmmError.VMM_NOT_INSTALLED);
                        assertThat(e.getMessage()).contains(missing.toString());
                        assertThat(e.hint()).contains("apt-get install qemu-system-x86");
                    });
        }
        assertThat(runDir).doesNotExist();
        assertThat(QemuBinary.find(Optional.of(missing), "")).isEmpty();
    }
}
