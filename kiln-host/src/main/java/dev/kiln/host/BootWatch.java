package dev.kiln.host;

import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.guest.GuestProtocol;
import dev.kiln.vmm.ConsoleReadiness;
import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmmDriver;
import java.time.Duration;

/**
 * Decides whether a boot succeeded, and times it: the guest's ready line on its console (or its failure line, the
 * VMM's end, a timeout), then its control port accepting TCP. It changes nothing; {@link VmService} applies the
 * result. A failure's message carries what a user needs: the cause, the console's and the VMM log's last lines.
 */
final class BootWatch {
    private BootWatch() {}

    sealed interface Result {
        record Ready(long millis, BootPhases phases) implements Result {}

        record Failed(String message) implements Result {}
    }

    /** What the create steps before the boot measured: when the create began, and how long network and VMM took. */
    record Started(long createdNanos, long networkMs, long vmmStartMs) {}

    static Result await(VmRecord rec, VmmDriver driver, Duration timeout, Started started, boolean agent) {
        VmHandle handle = rec.handle().orElseThrow();
        VmId id = new VmId(rec.id());
        long t0 = System.nanoTime();
        var outcome = ConsoleReadiness.await(handle.consoleLog(), GuestProtocol.READY_MARKER, GuestProtocol.FAILED_MARKER,
                timeout, driver.await(id));
        String console = "\n--- last console lines ---\n" + ProcStat.tail(handle.consoleLog(), 25);
        String vmmLog = "\n--- VMM log ---\n" + ProcStat.tail(handle.vmmLog(), 10);
        return switch (outcome) {
            case ConsoleReadiness.Outcome.Ready r -> controlPort(rec, driver, agent, timeout.minusNanos(System.nanoTime() - t0),
                    new BootPhases(started.networkMs(), started.vmmStartMs(), (System.nanoTime() - t0) / 1_000_000, 0, 0),
                    started.createdNanos(), console);
            case ConsoleReadiness.Outcome.GuestFailed f -> new Result.Failed("the guest failed to boot: " + f.line() + console);
            case ConsoleReadiness.Outcome.VmmEnded e ->
                    new Result.Failed("the VMM ended during boot: " + e.phase().describe() + console + vmmLog);
            case ConsoleReadiness.Outcome.TimedOut t -> new Result.Failed("the guest was not ready within "
                    + timeout.toSeconds() + " s (QEMU pid " + handle.pid() + " used "
                    + ProcStat.cpuTime(handle.pid()).map(d -> d.toMillis() + " ms").orElse("?") + " of CPU)" + console + vmmLog);
        };
    }

    /** Waits for the guest's control port; the fake driver, which has no real guest network, skips it. */
    private static Result controlPort(VmRecord rec, VmmDriver driver, boolean agent, Duration left, BootPhases phases,
                                      long createdNanos, String console) {
        long t = System.nanoTime();
        if (driver.name().equals(dev.kiln.vmm.fake.FakeDriver.NAME)) {
            return new Result.Ready((System.nanoTime() - createdNanos) / 1_000_000, phases);
        }
        long deadline = System.nanoTime() + Math.max(left.toNanos(), Duration.ofSeconds(5).toNanos());
        while (System.nanoTime() < deadline) {
            if (GuestClient.reachable(rec.ip(), Duration.ofMillis(500))) {
                BootPhases all = new BootPhases(phases.networkMs(), phases.vmmStartMs(), phases.guestBootMs(),
                        (System.nanoTime() - t) / 1_000_000, 0);
                if (!agent) {
                    return new Result.Ready((System.nanoTime() - createdNanos) / 1_000_000, all);
                }
                return agent(rec, driver, deadline, all, createdNanos, console);
            }
            if (driver.await(new VmId(rec.id())).isDone()) break;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new Result.Failed("the guest said it was ready but its control port " + rec.ip() + ":"
                + GuestProtocol.CONTROL_PORT + " does not answer" + console);
    }

    /** Waits for the guest agent to answer its health check (its JVM starts in parallel with the guest's boot). */
    private static Result agent(VmRecord rec, VmmDriver driver, long deadline, BootPhases phases, long createdNanos,
                                String console) {
        long t = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (AgentClient.healthy(rec.ip(), Duration.ofMillis(500))) {
                return new Result.Ready((System.nanoTime() - createdNanos) / 1_000_000,
                        phases.withAgent((System.nanoTime() - t) / 1_000_000));
            }
            if (agentExited(rec)) {
                return new Result.Failed("the guest agent exited during boot (its log is on the console)"
                        + "\n--- last console lines ---\n" + ProcStat.tail(rec.handle().orElseThrow().consoleLog(), 25));
            }
            if (driver.await(new VmId(rec.id())).isDone()) break;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new Result.Failed("the guest booted but its agent at " + rec.ip() + ":" + AgentProtocol.PORT
                + " does not answer; its log is " + GuestProtocol.AGENT_LOG + " in the guest ('kiln vm exec "
                + rec.name() + " -- cat " + GuestProtocol.AGENT_LOG + "')" + console);
    }

    private static boolean agentExited(VmRecord rec) {
        try {
            java.nio.file.Path console = rec.handle().orElseThrow().consoleLog();
            return java.nio.file.Files.exists(console) && java.nio.file.Files.readString(console,
                    java.nio.charset.StandardCharsets.ISO_8859_1).contains(GuestProtocol.AGENT_EXITED_MARKER);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
