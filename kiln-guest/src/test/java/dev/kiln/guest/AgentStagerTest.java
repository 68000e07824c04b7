package dev.kiln.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AgentStagerTest {
    private static final Path ROOT = Path.of("/tmp/staging");

    @Test
    void takesTheHostLibrariesFromLddOutputAndLeavesOutTheRuntimesOwn() {
        String ldd = """
                \tlinux-vdso.so.1 (0x00007ffd4c5f1000)
                \tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f0e2c2d0000)
                \tlibjli.so => /tmp/staging/opt/kiln/jre/bin/../lib/libjli.so (0x00007f0e2c2c0000)
                \tlibjvm.so => not found
                \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e2c0df000)
                \t/lib64/ld-linux-x86-64.so.2 (0x00007f0e2c2f8000)
                """;
        assertThat(AgentStager.sharedLibraries(ldd, ROOT)).containsExactly(
                Path.of("/lib/x86_64-linux-gnu/libz.so.1"), Path.of("/lib/x86_64-linux-gnu/libc.so.6"),
                Path.of("/lib64/ld-linux-x86-64.so.2"));
    }

    @Test
    void aLibraryMissingOnTheHostIsABuildError() {
        assertThatThrownBy(() -> AgentStager.sharedLibraries("\tlibseccomp.so.2 => not found\n", ROOT))
                .isInstanceOf(GuestException.class).hasMessageContaining("libseccomp.so.2");
    }

    @Test
    void aMissingJlinkOrRuncIsReportedBeforeAnyBuild() {
        assertThatThrownBy(() -> AgentStager.check(new GuestAgentOptions(Path.of("/nonexistent-jdk"), GuestAgentOptions.DEFAULT_RUNC)))
                .isInstanceOf(GuestException.class).hasMessageContaining("no jlink at /nonexistent-jdk/bin/jlink");
        assertThatThrownBy(() -> AgentStager.check(new GuestAgentOptions(Path.of(System.getProperty("java.home")),
                Path.of("/nonexistent/runc")))).isInstanceOf(GuestException.class).hasMessageContaining("no runc at /nonexistent/runc");
    }
}
