package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.guest.GuestProtocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link VmmDriver} must do, checked the same way for each. A subclass supplies the driver and bootable
 * specs; the tests boot as few VMs as they can (a QEMU boot under TCG costs seconds) and each test owns its VMs.
 *
 * <p>After every test, VMMs still running under the test's run directory are ended and the test fails: a test that
 * leaks a VMM is a broken test, and a driver that leaks one is a broken driver.
 */
public abstract class VmmDriverConformance {
    /** Per test: run directories of its VMs live under {@code tmp/run}, other files anywhere else in it. */
    @TempDir
    protected Path tmp;

    private final List<VmmDriver> drivers = new ArrayList<>();
    private final List<VmHandle> started = new ArrayList<>();

    // ---- what a driver's test supplies ----

    /** A fresh driver instance, as after an agent restart: it knows no VMs until it recovers them. */
    protected abstract VmmDriver newDriver();

    /** A spec that boots a guest printing the ready marker with its id ({@code kiln.id}) on its console. */
    protected abstract VmSpec spec(String name);

    /** Ends the VMM process of {@code h} behind the driver's back, as SIGKILL from outside would; returns once it is gone. */
    protected abstract void crashVmm(VmHandle h);

    /** How long a guest may take to print its ready marker. */
    protected abstract Duration bootTimeout();

    /** A spec whose VMM begins to start and then fails at once. */
    protected abstract VmSpec specThatDiesAtStart(String name);

    /** Texts the VMM_START_FAILED message of {@link #specThatDiesAtStart} must carry: what the VMM said and how it ended. */
    protected abstract List<String> startFailureEvidence();

    /** Checks the driver's own fields of a handle to a running VM (a pid, an accelerator). */
    protected abstract void assertLiveHandle(VmHandle h);

    /** Files the driver creates for a VM outside the console and VMM logs, which destroy removes. */
    protected abstract List<Path> driverFiles(VmHandle h);

    /** Checks what {@link VmmDriver#stats} says of a VM whose guest has booted; a driver without processes checks nothing. */
    protected void assertStatsOfABootedVm(VmStats stats) {}

    /**
     * Ends every VMM still running for a VM whose run directory is under {@code runRoot} (or, for a driver without
     * processes, among {@code started}) and describes each; empty when nothing was left.
     */
    protected abstract List<String> endLeftovers(Path runRoot, List<VmHandle> started);

    // ---- helpers ----

    protected final Path runRoot() {
        return tmp.resolve("run");
    }

    protected final Path runDir(VmSpec spec) {
        return runRoot().resolve(spec.name());
    }

    /** An id unique to this run, readable in process listings. */
    protected static VmId idFor(String name) {
        return new VmId(name + "-" + VmId.random().value().substring(0, 6));
    }

    protected final VmmDriver driver() {
        VmmDriver d = newDriver();
        drivers.add(d);
        return d;
    }

    private VmHandle start(VmmDriver d, VmSpec spec) {
        VmHandle h = d.start(spec, runDir(spec));
        started.add(h);
        return h;
    }

    private void awaitReady(VmmDriver d, VmHandle h) {
        String marker = GuestProtocol.READY_MARKER + " id=" + h.id() + " ";
        ConsoleReadiness.Outcome outcome = ConsoleReadiness.await(h.consoleLog(), marker, GuestProtocol.FAILED_MARKER,
                bootTimeout(), d.await(h.id()));
        assertThat(outcome)
                .as("readiness of %s; console:%n%s%nVMM log:%n%s", h.id(),
                        ProcStat.tail(h.consoleLog(), 30), ProcStat.tail(h.vmmLog(), 30))
                .isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
    }

    private static void assertInvalidPhase(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(VmmError.INVALID_PHASE));
    }

    private static void assertUnknown(VmmDriver d, VmId id) {
        assertThatThrownBy(() -> d.inspect(id)).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.UNKNOWN_VM));
    }

    private static VmPhase awaitEnd(VmmDriver d, VmId id, Duration within) {
        try {
            return d.await(id).get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return fail("VM " + id + " did not end within " + within, e);
        }
    }

    private static VmSpec withKernel(VmSpec s, Path kernel) {
        return new VmSpec(s.id(), s.name(), s.vcpus(), s.memory(), kernel, s.initrd(), s.bootArgs(), s.drives(), s.nics());
    }

    @AfterEach
    void noVmmOutlivesItsTest() {
        drivers.forEach(VmmDriver::close);
        List<String> left = endLeftovers(runRoot(), List.copyOf(started));
        if (!left.isEmpty()) {
            fail("VMMs were left running (now ended): " + left);
        }
    }

    // ---- the suite ----

    @Test
    void startReturnsARunningVmWhoseGuestBecomesReady() {
        VmmDriver d = driver();
        VmSpec spec = spec("ready");
        VmHandle h = start(d, spec);

        assertThat(h.id()).isEqualTo(spec.id());
        assertThat(h.driver()).isEqualTo(d.name());
        assertThat(h.runDir()).isEqualTo(runDir(spec));
        assertThat(h.startedAt()).isNotNull();
        assertLiveHandle(h);
        VmStatus status = d.inspect(h.id());
        assertThat(status.phase()).isInstanceOf(VmPhase.Running.class);
        assertThat(status.handle()).isEqualTo(h);
        assertThat(d.await(h.id())).isNotDone();

        awaitReady(d, h);
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);
        assertStatsOfABootedVm(d.stats(h.id()));

        d.kill(h.id());
    }

    @Test
    void pauseAndResumeAreLegalOnlyOnceEach() throws InterruptedException {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("pause"));

        d.pause(h.id());
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Paused.class);
        // a paused VM's vCPUs do not run: its VMM burns (almost) no CPU
        Duration before = d.stats(h.id()).cpuTime();
        Thread.sleep(500);
        assertThat(d.stats(h.id()).cpuTime().minus(before)).isLessThan(Duration.ofMillis(150));
        assertInvalidPhase(() -> d.pause(h.id()));
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Paused.class);

        d.resume(h.id());
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);
        assertInvalidPhase(() -> d.resume(h.id()));
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);

        // what may change on a running VM: the root drive's limits, a burst included, and lifting them again
        TokenBucket mib = new TokenBucket(1 << 20, 4 << 20, Duration.ofSeconds(1));
        TokenBucket ops = new TokenBucket(500, 0, Duration.ofMillis(500));
        d.update(h.id(), new VmUpdate(Map.of("root", new RateLimiter(Optional.of(mib), Optional.of(ops))), Map.of()));
        d.update(h.id(), new VmUpdate(Map.of("root", RateLimiter.none()), Map.of()));
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);

        d.kill(h.id());
    }

    @Test
    void stopShutsTheGuestDownAndEndsTheVmForGood() {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("stop"));
        awaitReady(d, h);

        VmPhase end = d.stop(h.id(), Duration.ofSeconds(30));

        assertThat(end).isInstanceOfSatisfying(VmPhase.Stopped.class, s -> {
            // not "killed by kiln": the guest powered off by itself within the timeout
            assertThat(s.exit().cause()).isEqualTo("stopped by kiln (guest shut down)");
            s.exit().exitStatus().ifPresent(st -> assertThat(st).isZero());
        });
        assertThat(d.await(h.id())).isCompletedWithValue(end);
        assertThat(d.inspect(h.id()).phase()).isEqualTo(end);

        assertInvalidPhase(() -> d.pause(h.id()));
        assertInvalidPhase(() -> d.resume(h.id()));
        assertInvalidPhase(() -> d.stop(h.id(), Duration.ofSeconds(1)));
        assertInvalidPhase(() -> d.update(h.id(), new VmUpdate(Map.of(), Map.of())));
        // killing an ended VM is not an error: it reports how the VM ended (callers race with the VM's own end)
        assertThat(d.kill(h.id())).isEqualTo(end);

        d.destroy(h.id());
        assertThat(driverFiles(h)).allSatisfy(f -> assertThat(f).doesNotExist());
        assertUnknown(d, h.id());
        d.destroy(h.id()); // forgetting twice is harmless
    }

    @Test
    void stopOfAPausedVmLetsTheGuestShutDown() {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("stoppaused"));
        awaitReady(d, h);
        d.pause(h.id());

        VmPhase end = d.stop(h.id(), Duration.ofSeconds(30));

        assertThat(end).isInstanceOfSatisfying(VmPhase.Stopped.class,
                s -> assertThat(s.exit().cause()).isEqualTo("stopped by kiln (guest shut down)"));
        d.destroy(h.id());
    }

    @Test
    void killEndsTheVmAtOnceAsStopped() {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("kill"));

        VmSpec sameId = spec("kill2");
        VmSpec duplicate = new VmSpec(h.id(), sameId.name(), sameId.vcpus(), sameId.memory(), sameId.kernel(),
                sameId.initrd(), sameId.bootArgs(), sameId.drives(), sameId.nics());
        assertThatThrownBy(() -> start(d, duplicate)).isInstanceOfSatisfying(VmmException.class,
                e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC));
        assertThat(d.inspect(h.id()).handle()).isEqualTo(h);

        VmPhase end = d.kill(h.id());

        assertThat(end).isInstanceOfSatisfying(VmPhase.Stopped.class, s -> {
            assertThat(s.exit().cause()).isEqualTo("killed by kiln");
            s.exit().exitStatus().ifPresent(st -> assertThat(st).isEqualTo(128 + 9));
        });
        assertThat(d.await(h.id())).isCompletedWithValue(end);
        assertInvalidPhase(() -> d.pause(h.id()));

        d.destroy(h.id());
        assertThat(driverFiles(h)).allSatisfy(f -> assertThat(f).doesNotExist());
        assertUnknown(d, h.id());
    }

    @Test
    void destroyKillsAVmThatStillRuns() {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("destroy"));
        var done = d.await(h.id());

        d.destroy(h.id());

        assertThat(done).isCompletedWithValueMatching(p -> p instanceof VmPhase.Stopped, "stopped");
        assertUnknown(d, h.id());
        assertThat(driverFiles(h)).allSatisfy(f -> assertThat(f).doesNotExist());
        assertThat(endLeftovers(runRoot(), List.of(h))).isEmpty();
    }

    @Test
    void aCrashedVmmIsReportedFailedWithinASecond() {
        VmmDriver d = driver();
        VmHandle h = start(d, spec("crash"));

        crashVmm(h);
        VmPhase end = awaitEnd(d, h.id(), Duration.ofSeconds(1));

        assertThat(end).isInstanceOfSatisfying(VmPhase.Failed.class,
                f -> assertThat(f.exit().cause()).contains("killed by signal 9"));
        assertThat(d.inspect(h.id()).phase()).isEqualTo(end);
        assertInvalidPhase(() -> d.resume(h.id()));

        d.destroy(h.id());
        assertUnknown(d, h.id());
    }

    @Test
    void aNewDriverRecoversAVmThatOutlivedTheOldOne() {
        VmmDriver first = driver();
        VmHandle h = start(first, spec("recover"));
        first.close(); // the agent goes away; its VMs do not

        VmmDriver second = driver();
        VmStatus recovered = second.recover(h);
        assertThat(recovered.handle()).isEqualTo(h);
        assertThat(recovered.phase()).isInstanceOf(VmPhase.Running.class);
        second.pause(h.id());
        assertThat(second.inspect(h.id()).phase()).isInstanceOf(VmPhase.Paused.class);
        second.close();

        VmmDriver third = driver();
        assertThat(third.recover(h).phase()).as("a paused VM is recovered paused").isInstanceOf(VmPhase.Paused.class);
        third.resume(h.id());
        assertThat(third.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);

        VmPhase end = third.kill(h.id());
        assertThat(end).isInstanceOfSatisfying(VmPhase.Stopped.class,
                s -> assertThat(s.exit().cause()).isEqualTo("killed by kiln"));
        assertThat(third.await(h.id())).isCompletedWithValue(end);
        assertThat(endLeftovers(runRoot(), List.of(h))).isEmpty();
    }

    @Test
    void aRecoveredVmThatCrashesIsReportedFailedWithinASecond() {
        VmmDriver first = driver();
        VmHandle h = start(first, spec("recrash"));
        first.close();
        VmmDriver second = driver();
        assertThat(second.recover(h).phase()).isInstanceOf(VmPhase.Running.class);

        crashVmm(h);

        assertThat(awaitEnd(second, h.id(), Duration.ofSeconds(1))).isInstanceOfSatisfying(VmPhase.Failed.class,
                f -> assertThat(f.exit().cause()).isNotBlank());
        second.destroy(h.id());
    }

    @Test
    void recoveringAVmmThatIsGoneReportsFailed() {
        VmmDriver first = driver();
        VmHandle h = start(first, spec("gone"));
        first.close();
        crashVmm(h);

        VmmDriver second = driver();
        VmStatus recovered = second.recover(h);

        assertThat(recovered.phase()).isInstanceOfSatisfying(VmPhase.Failed.class,
                f -> assertThat(f.exit().cause()).isNotBlank());
        assertThat(second.await(h.id())).isCompletedWithValue(recovered.phase());
        assertThat(second.inspect(h.id()).phase()).isEqualTo(recovered.phase());
        assertInvalidPhase(() -> second.pause(h.id()));
        second.destroy(h.id());
        assertUnknown(second, h.id());
    }

    @Test
    void startWithAMissingKernelFailsBeforeAnythingRuns() {
        VmmDriver d = driver();
        VmSpec good = spec("nokernel");
        VmSpec bad = withKernel(good, tmp.resolve("no-such-vmlinuz"));

        assertThatThrownBy(() -> start(d, bad)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.FILE_NOT_FOUND);
            assertThat(e.getMessage()).contains(bad.kernel().toString());
        });
        assertUnknown(d, bad.id());
        assertThat(endLeftovers(runRoot(), List.of())).isEmpty();

        // the failed start left nothing behind that blocks a retry under the same id
        VmHandle h = start(d, good);
        assertThat(d.inspect(h.id()).phase()).isInstanceOf(VmPhase.Running.class);
        d.kill(h.id());
    }

    @Test
    void startWithAMissingRootDiskFailsBeforeAnythingRuns() {
        VmmDriver d = driver();
        VmSpec good = spec("nodisk");
        Path missing = tmp.resolve("no-such-rootfs.ext4");
        VmSpec bad = new VmSpec(good.id(), good.name(), good.vcpus(), good.memory(), good.kernel(), good.initrd(),
                good.bootArgs(), List.of(DriveSpec.of("root", missing, true)), good.nics());

        assertThatThrownBy(() -> start(d, bad)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.FILE_NOT_FOUND);
            assertThat(e.getMessage()).contains(missing.toString());
        });
        assertUnknown(d, bad.id());
        assertThat(endLeftovers(runRoot(), List.of())).isEmpty();
    }

    @Test
    void aVmmThatDiesAtStartFailsTheStartWithWhatItSaid() {
        VmmDriver d = driver();
        VmSpec spec = specThatDiesAtStart("diesatstart");

        assertThatThrownBy(() -> start(d, spec)).isInstanceOfSatisfying(VmmException.class, e -> {
            assertThat(e.code()).isEqualTo(VmmError.VMM_START_FAILED);
            assertThat(e.getMessage()).contains(startFailureEvidence());
            assertThat(e.hint()).isNotBlank();
        });
        assertUnknown(d, spec.id());
        assertThat(endLeftovers(runRoot(), List.of())).isEmpty();
    }

    // ---- shared by the subclasses ----

    protected static Path writeFile(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
