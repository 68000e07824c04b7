package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every phase against every command, checked against a table written out in full. */
class LifecycleTest {
    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
    private static final VmId ID = new VmId("vm-1");
    private static final VmExit EXIT = VmExit.of(T, 0, "test");

    private static final Map<Class<? extends VmPhase>, Set<VmCommand>> ALLOWED = Map.of(
            VmPhase.Starting.class, EnumSet.of(VmCommand.STOP, VmCommand.KILL),
            VmPhase.Running.class, EnumSet.of(VmCommand.PAUSE, VmCommand.STOP, VmCommand.KILL, VmCommand.UPDATE),
            VmPhase.Paused.class, EnumSet.of(VmCommand.RESUME, VmCommand.STOP, VmCommand.KILL, VmCommand.UPDATE),
            VmPhase.Stopping.class, EnumSet.of(VmCommand.STOP, VmCommand.KILL),
            VmPhase.Stopped.class, EnumSet.noneOf(VmCommand.class),
            VmPhase.Failed.class, EnumSet.noneOf(VmCommand.class));

    private static final List<VmPhase> PHASES = List.of(
            new VmPhase.Starting(T), new VmPhase.Running(T), new VmPhase.Paused(T), new VmPhase.Stopping(T),
            new VmPhase.Stopped(EXIT), new VmPhase.Failed(EXIT));

    @Test
    void theTableCoversEveryPhase() {
        List<Class<?>> permitted = Arrays.asList(VmPhase.class.getPermittedSubclasses());
        assertThat(List.<Class<?>>copyOf(ALLOWED.keySet())).containsExactlyInAnyOrderElementsOf(permitted);
        assertThat(PHASES.stream().<Class<?>>map(VmPhase::getClass).toList()).containsExactlyInAnyOrderElementsOf(permitted);
    }

    @Test
    void allowsExactlyWhatTheTableSays() {
        for (VmPhase phase : PHASES) {
            for (VmCommand command : VmCommand.values()) {
                boolean expected = ALLOWED.get(phase.getClass()).contains(command);
                assertThat(Lifecycle.allows(phase, command)).as("%s in %s", command, phase.label()).isEqualTo(expected);
            }
        }
    }

    @Test
    void checkRejectsWhatIsNotAllowedNamingThePhaseAndTheCommand() {
        for (VmPhase phase : PHASES) {
            for (VmCommand command : VmCommand.values()) {
                if (ALLOWED.get(phase.getClass()).contains(command)) {
                    assertThatCode(() -> Lifecycle.check(ID, phase, command)).doesNotThrowAnyException();
                } else {
                    assertThatThrownBy(() -> Lifecycle.check(ID, phase, command))
                            .as("%s in %s", command, phase.label())
                            .isInstanceOfSatisfying(VmmException.class, e -> {
                                assertThat(e.code()).isEqualTo(VmmError.INVALID_PHASE);
                                assertThat(e.getMessage()).contains(command.name().toLowerCase(), ID.value(), phase.label());
                                assertThat(e.hint()).isNotBlank();
                            });
                }
            }
        }
    }

    @Test
    void onlyStoppedAndFailedAreTerminal() {
        assertThat(PHASES).filteredOn(VmPhase::isTerminal)
                .extracting(VmPhase::label).containsExactlyInAnyOrder("stopped", "failed");
    }
}
