package dev.kiln.vmm.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.guest.GuestProtocol;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmPhase;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake driver's knobs do what they say, seen through the same SPI and readiness strategy as a real VM. */
class FakeKnobsTest {
    private final FakeWorld world = new FakeWorld(Clock.systemUTC());

    @TempDir
    Path tmp;

    @AfterEach
    void closeWorld() {
        world.close();
    }

    private FakeDriver driver(FakeKnobs knobs) {
        return new FakeDriver(world, spec -> knobs, FakeDriverConformanceTest.READY_LINE);
    }

    private VmSpec spec(String id) throws IOException {
        Path kernel = Files.writeString(tmp.resolve("vmlinuz"), "fake");
        return new VmSpec(new VmId(id), id, 1, ByteSize.parse("128M"), kernel, Optional.empty(), "", List.of(), List.of());
    }

    private ConsoleReadiness.Outcome ready(FakeDriver d, VmHandle h, Duration timeout) {
        return ConsoleReadiness.await(h.consoleLog(), GuestProtocol.READY_MARKER + " id=" + h.id() + " ",
                GuestProtocol.FAILED_MARKER, timeout, d.await(h.id()));
    }

    @Test
    void failToStartFailsTheStartAndLeavesNothing() throws IOException {
        FakeDriver d = driver(FakeKnobs.healthy().failingToStart());
        VmSpec spec = spec("refuses");

        assertThatThrownBy(() -> d.start(spec, tmp.resolve("run")))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED));
        assertThat(world.runningCount()).isZero();
        assertThatThrownBy(() -> d.inspect(spec.id()))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.code()).isEqualTo(VmmError.UNKNOWN_VM));
    }

    @Test
    void bootDelayDelaysTheReadyMarker() throws IOException {
        FakeDriver d = driver(FakeKnobs.healthy().withBootDelay(Duration.ofMillis(600)));
        long start = System.nanoTime();
        VmHandle h = d.start(spec("slow"), tmp.resolve("run"));

        assertThat(ready(d, h, Duration.ofMillis(150))).isInstanceOf(ConsoleReadiness.Outcome.TimedOut.class);
        assertThat(ready(d, h, Duration.ofSeconds(5))).isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        assertThat(d.inspect(h.id()).phase()).as("booting slowly is still running").isInstanceOf(VmPhase.Running.class);
        d.kill(h.id());
    }

    @Test
    void dieAfterEndsTheVmAsFailedWithItsExitStatus() throws Exception {
        FakeDriver d = driver(FakeKnobs.healthy().dyingAfter(Duration.ofSeconds(1), 3));
        VmHandle h = d.start(spec("mortal"), tmp.resolve("run"));
        CompletableFuture<VmPhase> done = d.await(h.id());
        assertThat(done).isNotDone();

        VmPhase end = done.get(5, TimeUnit.SECONDS);

        assertThat(end).isInstanceOfSatisfying(VmPhase.Failed.class, f -> {
            assertThat(f.exit().exitStatus()).contains(3);
            assertThat(f.exit().cause()).contains("exited with status 3");
        });
        assertThat(world.runningCount()).isZero();
    }

    @Test
    void aVmThatDiesBeforeItIsReadyEndsTheReadinessWait() throws IOException {
        FakeDriver d = driver(FakeKnobs.healthy().withBootDelay(Duration.ofSeconds(30)).dyingAfter(Duration.ofMillis(100), 1));
        VmHandle h = d.start(spec("stillborn"), tmp.resolve("run"));

        assertThat(ready(d, h, Duration.ofSeconds(5))).isInstanceOfSatisfying(ConsoleReadiness.Outcome.VmmEnded.class,
                e -> assertThat(e.phase()).isInstanceOf(VmPhase.Failed.class));
    }
}
