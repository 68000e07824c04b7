package dev.kiln.agent.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The slot's phases and hand-offs, in memory, with the runtime's side played by the test. */
class SlotTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);
    private final Slot slot = new Slot(clock, Duration.ofSeconds(3));

    private static Invocation inv(String id) {
        return Invocation.of(id, "{}".getBytes(StandardCharsets.UTF_8), "arn:fn", "Root=1-x");
    }

    private Invocation nextAsync() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return slot.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void anInvocationSubmittedDuringInitWaitsForTheRuntimeAndGetsItsDeadlineAtPickUp() throws Exception {
        assertThat(slot.phase()).isEqualTo(Slot.Phase.INITIALIZING);
        Slot.Pending p = slot.submit(inv("r1"));
        assertThat(p.pickedUp()).isNotDone();
        Invocation got = nextAsync();
        assertThat(slot.initialized()).isCompleted();
        assertThat(got.requestId()).isEqualTo("r1");
        assertThat(got.deadline()).contains(clock.instant().plusSeconds(3));
        assertThat(slot.phase()).isEqualTo(Slot.Phase.BUSY);
        slot.respond("r1", "42".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(p.reply().get().body(), StandardCharsets.UTF_8)).isEqualTo("42");
        assertThat(slot.phase()).isEqualTo(Slot.Phase.IDLE);
    }

    @Test
    void aSecondInvocationIsRefusedWhileOneIsWaitingOrRunning() throws Exception {
        slot.submit(inv("r1"));
        assertThatThrownBy(() -> slot.submit(inv("r2"))).isInstanceOf(SlotException.class)
                .hasMessageContaining("another invocation");
        nextAsync();
        assertThatThrownBy(() -> slot.submit(inv("r2"))).isInstanceOf(SlotException.class);
        slot.respond("r1", new byte[0]);
        slot.submit(inv("r2"));
    }

    @Test
    void anAnswerForARequestThatIsNotRunningIsRefused() throws Exception {
        slot.submit(inv("r1"));
        nextAsync();
        assertThatThrownBy(() -> slot.respond("r9", new byte[0])).isInstanceOf(SlotException.class)
                .satisfies(e -> assertThat(((SlotException) e).reason()).isEqualTo(SlotException.Reason.UNKNOWN_REQUEST));
        slot.respond("r1", new byte[0]);
        assertThatThrownBy(() -> slot.respond("r1", new byte[0])).as("answered twice").isInstanceOf(SlotException.class);
    }

    @Test
    void askingForTheNextInvocationWithoutAnsweringFailsTheUnansweredOne() throws Exception {
        Slot.Pending p = slot.submit(inv("r1"));
        nextAsync();
        var second = CompletableFuture.supplyAsync(() -> {
            try {
                return slot.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(p.reply().get(5, TimeUnit.SECONDS).errorType()).isEqualTo("Runtime.NoResponse");
        slot.submit(inv("r2"));
        assertThat(second.get(5, TimeUnit.SECONDS).requestId()).isEqualTo("r2");
    }

    @Test
    void anInitErrorFailsTheWaitingInvocationAndTheSlot() throws Exception {
        Slot.Pending p = slot.submit(inv("r1"));
        slot.initError("Runtime.ImportModuleError", "{\"errorType\":\"Runtime.ImportModuleError\"}".getBytes());
        assertThat(p.reply().get().errorType()).isEqualTo("Runtime.ImportModuleError");
        assertThat(p.pickedUp()).isCompletedExceptionally();
        assertThat(slot.initialized()).isCompletedExceptionally();
        assertThat(slot.phase()).isEqualTo(Slot.Phase.FAILED);
        assertThatThrownBy(() -> slot.submit(inv("r2"))).isInstanceOf(SlotException.class);
        assertThatThrownBy(slot::next).isInstanceOf(SlotException.class);
    }

    @Test
    void aRuntimeExitWakesARuntimeThreadAndFailsWhatRuns() throws Exception {
        Slot.Pending p = slot.submit(inv("r1"));
        nextAsync();
        slot.runtimeExited("with error: exit status 2");
        assertThat(p.reply().get().errorType()).isEqualTo("Runtime.ExitError");
        assertThat(new String(p.reply().get().body(), StandardCharsets.UTF_8)).contains("exit status 2");
        slot.runtimeExited("again");
        assertThat(slot.failure().orElseThrow().errorType()).as("the first failure stays").isEqualTo("Runtime.ExitError");
    }

    @Test
    void abandoningAnAnsweredInvocationChangesNothing() throws Exception {
        Slot.Pending p = slot.submit(inv("r1"));
        nextAsync();
        slot.respond("r1", "1".getBytes());
        slot.abandon(p, Reply.error("Sandbox.Timedout", "late"));
        assertThat(slot.phase()).isEqualTo(Slot.Phase.IDLE);
        assertThat(p.reply().get().functionError()).isFalse();
    }
}
