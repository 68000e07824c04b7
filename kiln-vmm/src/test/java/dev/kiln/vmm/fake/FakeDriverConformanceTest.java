package dev.kiln.vmm.fake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.guest.GuestProtocol;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmDriver;
import dev.kiln.vmm.VmmDriverConformance;
import dev.kiln.vmm.VmmException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/** The fake driver passes the same conformance suite as the real ones. */
class FakeDriverConformanceTest extends VmmDriverConformance {
    /** The fake guest prints what the real one prints. */
    static final String READY_LINE = GuestProtocol.READY_MARKER + " id={id} ip=none";
    private static final String DIES_AT_START = "diesatstart";

    /** Outlives driver instances, as VMM processes outlive the agent. */
    private final FakeWorld world = new FakeWorld(Clock.systemUTC());

    @AfterEach
    void closeWorld() {
        world.close();
    }

    @Override
    protected VmmDriver newDriver() {
        return new FakeDriver(world,
                spec -> spec.name().startsWith(DIES_AT_START) ? FakeKnobs.healthy().failingToStart() : FakeKnobs.healthy(),
                READY_LINE);
    }

    @Override
    protected VmSpec spec(String name) {
        Path kernel = writeFile(tmp.resolve("vmlinuz"), "a fake kernel\n");
        Path rootfs = writeFile(tmp.resolve("rootfs.ext4"), "a fake root file system\n");
        return new VmSpec(idFor(name), name, 1, ByteSize.parse("128M"), kernel, Optional.empty(), "",
                List.of(DriveSpec.of("root", rootfs, true)), List.of());
    }

    @Override
    protected void crashVmm(VmHandle h) {
        world.crash(h.id());
    }

    @Override
    protected Duration bootTimeout() {
        return Duration.ofSeconds(5);
    }

    @Override
    protected VmSpec specThatDiesAtStart(String name) {
        return spec(DIES_AT_START + "-" + name);
    }

    @Override
    protected List<String> startFailureEvidence() {
        return List.of("failToStart");
    }

    @Override
    protected void assertLiveHandle(VmHandle h) {
        assertThat(h.driver()).isEqualTo(FakeDriver.NAME);
        assertThat(h.accelerator()).isEqualTo("none");
    }

    @Override
    protected List<Path> driverFiles(VmHandle h) {
        return List.of();
    }

    @Override
    protected List<String> endLeftovers(Path runRoot, List<VmHandle> started) {
        List<String> left = new ArrayList<>();
        VmmDriver probe = newDriver();
        for (VmHandle h : started) {
            try {
                if (!probe.inspect(h.id()).phase().isTerminal()) {
                    left.add("fake VM " + h.id());
                    world.crash(h.id());
                }
            } catch (VmmException destroyed) {
                // forgotten by the driver, so ended
            }
        }
        if (world.runningCount() > 0) {
            left.add(world.runningCount() + " fake VMs the test did not start");
        }
        return left;
    }
}
