package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real file, written in pieces as a VMM writes its console. */
class ConsoleReadinessTest {
    private static final String READY = "KILN_GUEST_READY id=vm-1 ";
    private static final String FAILED = "KILN_GUEST_FAILED";
    private static final Duration LONG = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Path console() {
        return dir.resolve("console.log");
    }

    private void append(String text) throws IOException {
        Files.writeString(console(), text, StandardCharsets.ISO_8859_1, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private CompletableFuture<ConsoleReadiness.Outcome> awaitAsync(Duration timeout, CompletableFuture<VmPhase> vmm) {
        return CompletableFuture.supplyAsync(() -> ConsoleReadiness.await(console(), READY, FAILED, timeout, vmm));
    }

    @Test
    void aReadyLineWrittenInTwoPiecesIsSeenOnceComplete() throws Exception {
        append("[    0.000000] Linux version 6.1.0\n");
        var outcome = awaitAsync(LONG, new CompletableFuture<>());
        append("booting\nKILN_GUEST_RE");
        Thread.sleep(200);
        assertThat(outcome).as("half a line is not ready").isNotDone();

        append("ADY id=vm-1 ip=none\r\nafter\n");

        assertThat(outcome.get()).isInstanceOfSatisfying(ConsoleReadiness.Outcome.Ready.class, r -> {
            assertThat(r.line()).isEqualTo("KILN_GUEST_READY id=vm-1 ip=none");
            assertThat(r.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        });
    }

    @Test
    void waitsForTheConsoleFileToAppear() throws Exception {
        var outcome = awaitAsync(LONG, new CompletableFuture<>());
        Thread.sleep(100);
        append("KILN_GUEST_READY id=vm-1 ip=none\n");
        assertThat(outcome.get()).isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
    }

    @Test
    void theReadyLineOfAnotherVmDoesNotCount() throws Exception {
        append("KILN_GUEST_READY id=vm-12 ip=none\n");
        assertThat(ConsoleReadiness.await(console(), READY, FAILED, Duration.ofMillis(100), new CompletableFuture<>()))
                .isInstanceOf(ConsoleReadiness.Outcome.TimedOut.class);
    }

    @Test
    void theFailureMarkerEndsTheWait() throws Exception {
        var outcome = awaitAsync(LONG, new CompletableFuture<>());
        append("kiln: mounting root\nKILN_GUEST_FAILED reason=no-root-device\n");
        assertThat(outcome.get()).isEqualTo(new ConsoleReadiness.Outcome.GuestFailed("KILN_GUEST_FAILED reason=no-root-device"));
    }

    @Test
    void theEndOfTheVmmEndsTheWait() throws Exception {
        append("[    0.000000] Linux version 6.1.0\n");
        CompletableFuture<VmPhase> vmm = new CompletableFuture<>();
        var outcome = awaitAsync(LONG, vmm);
        VmPhase failed = new VmPhase.Failed(VmExit.of(Instant.now(), 137, "VMM process killed by signal 9 (SIGKILL)"));
        vmm.complete(failed);
        assertThat(outcome.get()).isEqualTo(new ConsoleReadiness.Outcome.VmmEnded(failed));
    }

    @Test
    void aReadyLineWrittenBeforeTheVmmEndedStillCounts() throws Exception {
        append("KILN_GUEST_READY id=vm-1 ip=none\n");
        CompletableFuture<VmPhase> ended = CompletableFuture.completedFuture(
                new VmPhase.Stopped(VmExit.of(Instant.now(), 0, "guest powered off")));
        assertThat(ConsoleReadiness.await(console(), READY, FAILED, LONG, ended))
                .isInstanceOf(ConsoleReadiness.Outcome.Ready.class);
    }

    @Test
    void timesOutWhenNothingHappens() throws Exception {
        append("KILN_GUEST_READY id=vm-1 ip=none"); // no newline yet: not a line
        long start = System.nanoTime();
        var outcome = ConsoleReadiness.await(console(), READY, FAILED, Duration.ofMillis(300), new CompletableFuture<>());
        assertThat(outcome).isEqualTo(new ConsoleReadiness.Outcome.TimedOut(Duration.ofMillis(300)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
}
