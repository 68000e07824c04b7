package dev.kiln.vmm.fake;

import java.time.Duration;
import java.util.Optional;

/**
 * How a fake VM behaves: fail at start, take {@code bootDelay} to print the ready marker on its console,
 * die by itself after {@code dieAfter} with {@code exitStatus}.
 */
public record FakeKnobs(boolean failToStart, Duration bootDelay, Optional<Duration> dieAfter, int exitStatus) {
    public static FakeKnobs healthy() {
        return new FakeKnobs(false, Duration.ofMillis(50), Optional.empty(), 0);
    }

    public FakeKnobs withBootDelay(Duration d) {
        return new FakeKnobs(failToStart, d, dieAfter, exitStatus);
    }

    public FakeKnobs dyingAfter(Duration d, int status) {
        return new FakeKnobs(failToStart, bootDelay, Optional.of(d), status);
    }

    public FakeKnobs failingToStart() {
        return new FakeKnobs(true, bootDelay, dieAfter, exitStatus);
    }
}
