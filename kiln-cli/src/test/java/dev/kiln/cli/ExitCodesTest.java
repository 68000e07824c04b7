package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExitCodesTest {
    @ParameterizedTest
    @CsvSource({
        "BAD_REQUEST,400,2", "INVALID_SPEC,400,2", "UNKNOWN_FIELD,400,2",
        "VM_NOT_FOUND,404,3",
        "NAME_TAKEN,409,4", "INVALID_PHASE,409,4", "VM_RUNNING,409,4",
        "FILE_NOT_FOUND,422,5",
        "BOOT_FAILED,422,6", "VMM_START_FAILED,422,6", "VMM_DIED,422,6",
        "VMM_NOT_INSTALLED,503,7", "NO_TUN_DEVICE,503,7", "TOOL_MISSING,503,7", "HOST_ERROR,503,7",
        "TIMEOUT,504,8",
        "INTERNAL,500,1",
        "DAEMON_UNREACHABLE,0,10",
        // codes this CLI does not know fall back to the status
        "SOMETHING_NEW,400,2", "SOMETHING_NEW,404,3", "SOMETHING_NEW,409,4", "SOMETHING_NEW,503,7",
        "SOMETHING_NEW,504,8", "SOMETHING_NEW,418,1"})
    void theTableOfDocsApiMd(String code, int status, int exitCode) {
        assertThat(ExitCodes.forError(code, status)).isEqualTo(exitCode);
        assertThat(CliException.fromDaemon(status, code, "m", "").exitCode()).isEqualTo(exitCode);
    }
}
