package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VmExitTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0   | exited with status 0",
            "1   | exited with status 1",
            "128 | exited with status 128",
            "129 | killed by signal 1 (SIGHUP)",
            "130 | killed by signal 2 (SIGINT)",
            "134 | killed by signal 6 (SIGABRT)",
            "137 | killed by signal 9 (SIGKILL)",
            "138 | killed by signal 10",
            "139 | killed by signal 11 (SIGSEGV)",
            "143 | killed by signal 15 (SIGTERM)",
            "192 | killed by signal 64",
            "193 | exited with status 193",
            "255 | exited with status 255",
    })
    void describesExitStatusesAndSignals(int status, String text) {
        assertThat(VmExit.describeStatus(status)).isEqualTo(text);
    }

    @Test
    void knowsWhetherTheStatusIsKnown() {
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        assertThat(VmExit.of(t, 137, "killed").exitStatus()).contains(137);
        assertThat(VmExit.unknownStatus(t, "gone").exitStatus()).isEmpty();
    }
}
