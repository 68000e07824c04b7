package dev.kiln.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.guest.GuestImage;
import dev.kiln.guest.GuestImageBuilder;
import dev.kiln.guest.GuestImageOptions;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.guest.ProgressListener;
import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.AcceleratorChoice;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.HugePages;
import dev.kiln.vmm.JailPolicy;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest memory from huge pages (a VM spec option), on a real jailed QEMU under TCG: the test reserves the pages it
 * needs ({@code vm.nr_hugepages}) and gives them back.
 */
@Tag("vm")
class QemuHugePagesTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final Path NR = Path.of("/proc/sys/vm/nr_hugepages");
    private static final AcceleratorChoice TCG = new AcceleratorChoice(Accelerator.TCG, "test", Instant.now());

    @TempDir
    Path tmp;
    private String reservedBefore;
    private QemuVmmDriver driver;
    private GuestImage image;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Files.isExecutable(QEMU), QEMU + " is not installed");
        assumeTrue(Files.isWritable(NR), "cannot reserve huge pages here (" + NR + " is not writable)");
        image = GuestImageBuilder.create(Path.of("/var/tmp/kiln-test-images"))
                .ensure(GuestImageOptions.defaults(), ProgressListener.silent());
        reservedBefore = Files.readString(NR).trim();
        driver = (QemuVmmDriver) QemuDriver.create(QemuConfig.of(QEMU, TCG).withJail(JailPolicy.on()));
    }

    @AfterEach
    void giveThePagesBack() throws IOException {
        if (driver != null) driver.close();
        if (reservedBefore != null) Files.writeString(NR, reservedBefore);
    }

    private VmSpec spec(String name) {
        VmId id = new VmId(name + "-" + VmId.random().value().substring(0, 6));
        return new VmSpec(id, name, 1, ByteSize.parse("128M"), image.kernel(), Optional.of(image.initrd()),
                GuestProtocol.kernelArg(GuestProtocol.CMDLINE_ID, id.value()),
                List.of(DriveSpec.of("root", image.rootfs(), true)), List.of()).withHugePages(true);
    }

    private static List<String> kilnHugeMounts() throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.startsWith("kiln-hugepages ")).toList();
    }

    @Test
    void theGuestBootsOnHugePagesWhichGoBackWhenItEnds() throws IOException {
        long before = HugePages.read().free();
        Files.writeString(NR, Long.toString(Long.parseLong(reservedBefore) + 64));
        assumeTrue(HugePages.read().free() >= before + 64, "the kernel could not reserve 64 more huge pages");
        long freeReserved = HugePages.read().free();

        VmSpec s = spec("huge");
        VmHandle h = driver.start(s, tmp.resolve("huge"));
        try {
            assertThat(ConsoleReadiness.await(h.consoleLog(), GuestProtocol.READY_MARKER + " id=" + h.id() + " ",
                    GuestProtocol.FAILED_MARKER, Duration.ofSeconds(90), driver.await(h.id())))
                    .as("boot; console:%n%s%nVMM log:%n%s", ProcStat.tail(h.consoleLog(), 20), ProcStat.tail(h.vmmLog(), 20))
                    .isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
            assertThat(HugePages.read().free()).as("128 MiB of 2 MiB pages taken").isEqualTo(freeReserved - 64);
            assertThat(kilnHugeMounts()).anyMatch(l -> l.contains(" " + h.runDir().resolve("hugepages") + " hugetlbfs "));
        } finally {
            driver.destroy(h.id());
        }
        assertThat(HugePages.read().free()).isEqualTo(freeReserved);
        assertThat(kilnHugeMounts()).noneMatch(l -> l.contains(h.runDir().toString()));
        assertThat(h.runDir().resolve("hugepages")).doesNotExist();
    }

    @Test
    void withoutEnoughFreeHugePagesTheStartFailsClearlyAndLeavesNothing() throws IOException {
        long free = HugePages.read().free();
        assumeTrue(free < 64, "this host has 64 free huge pages of its own");
        VmSpec s = spec("nohuge");

        assertThatThrownBy(() -> driver.start(s, tmp.resolve("nohuge")))
                .isInstanceOfSatisfying(VmmException.class, e -> {
                    assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                    assertThat(e.getMessage()).contains("huge pages", "needs 64");
                    assertThat(e.hint()).contains("/proc/sys/vm/nr_hugepages");
                });
        assertThat(kilnHugeMounts()).noneMatch(l -> l.contains(tmp.toString()));
        assertThat(tmp.resolve("nohuge/jail")).doesNotExist();
        assertThat(ProcessHandle.allProcesses().map(p -> ProcStat.cmdline(p.pid()).orElse(""))
                .filter(c -> c.contains(QemuCommandLine.LABEL_PREFIX + s.id()))).isEmpty();
    }
}
